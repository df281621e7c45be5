"""Start and stop llama-server as a (sync or async) context manager.

    with LlamaServer(ServerConfig.for_model("qwen2.5-coder-1.5b")) as server:
        litellm.completion(model=f"openai/{server.config.alias}", api_base=server.api_base, ...)

The server binds 127.0.0.1 on a free (or given) port, runs `-np` slots of
`ctx_per_slot` tokens each on 2 threads, with `--jinja` and the template of the
model's tool-call format (`eval.real.template`), and answers to its alias. Entering
waits for `/health` to report the model loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from eval.real import cache_dir
from eval.real.llama import find_binary, fix_symlinks, server_env
from eval.real.models import MODELS, model_path, stamp_ok
from eval.real.template import TEMPLATES

HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """llama-server did not come up (or is not provisioned)."""


@dataclass(frozen=True)
class ServerConfig:
    """What to run: model file, alias, port (None: a free one), slots, context per slot."""

    model: Path
    alias: str
    port: int | None = None
    slots: int = 1
    ctx_per_slot: int = 4096
    threads: int = 2
    template: Path = TEMPLATES["tags"]
    extra_args: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def for_model(cls, name: str, **overrides: object) -> ServerConfig:
        """Config for a provisioned model from `eval.real.models.MODELS`, by name."""
        spec = MODELS[name]
        path = model_path(spec)
        if not stamp_ok(path, spec.sha256):
            raise ServerError(f"model {name} is not provisioned: run `python -m eval.real provision --model {name}`")
        settings = {"template": TEMPLATES[spec.tool_format], **overrides}
        return cls(model=path, alias=name, **settings)  # type: ignore[arg-type]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def build_command(binary: Path, config: ServerConfig, port: int) -> list[str]:
    """The llama-server command line for `config` on `port`."""
    return [
        str(binary),
        "--model", str(config.model),
        "--alias", config.alias,
        "--host", HOST,
        "--port", str(port),
        "--ctx-size", str(config.ctx_per_slot * config.slots),  # split evenly across the slots
        "--parallel", str(config.slots),
        "--threads", str(config.threads),
        "--jinja",
        "--chat-template-file", str(config.template),
        "--metrics",
        "--no-webui",
        *config.extra_args,
    ]  # fmt: skip


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class LlamaServer:
    """One llama-server process; `with` (or `async with`) starts it and stops it."""

    def __init__(self, config: ServerConfig, binary: Path | None = None, timeout_s: float = 180.0) -> None:
        found = binary or find_binary()
        if found is None:
            raise ServerError("llama-server is not provisioned: run `python -m eval.real provision`")
        self.binary, self.config, self.timeout_s = found, config, timeout_s
        self.port = config.port or free_port()
        self.log_path = cache_dir() / "logs" / f"llama-server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_s = 0.0

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_base(self) -> str:
        """OpenAI-compatible base URL, for LiteLLM's `api_base` (`OLLAMA_API_BASE` here)."""
        return self.base_url + "/v1"

    def command(self) -> list[str]:
        return build_command(self.binary, self.config, self.port)

    def start(self) -> None:
        """Launch the process and block until `/health` is ok; raise `ServerError` on timeout."""
        fix_symlinks(self.binary.parent)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=server_env(self.binary), start_new_session=True,
            )  # fmt: skip
        try:
            self._wait_healthy(started)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - started

    def _wait_healthy(self, started: float) -> None:
        last = "no answer"
        with httpx.Client(timeout=5.0) as client:
            while time.monotonic() - started < self.timeout_s:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise ServerError(
                        f"llama-server exited with code {self.process.returncode} while starting; "
                        f"log {self.log_path}:\n{log_tail(self.log_path)}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    response = client.get(self.base_url + "/health")
                    if response.status_code == 200 and response.json().get("status") == "ok":
                        return
                    last = f"{response.status_code} {response.text[:200]}"
                time.sleep(0.25)
        raise ServerError(
            f"llama-server not healthy after {self.timeout_s:.0f} s (last /health: {last}); "
            f"log {self.log_path}:\n{log_tail(self.log_path)}"
        )

    def wait(self) -> int:
        """Block until the process ends (for `serve`)."""
        assert self.process is not None
        return self.process.wait()

    def stop(self) -> None:
        """Terminate the process (SIGTERM, then SIGKILL after 10 s)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)


DEFAULT_SLOTS = 7
"""One slot per pizzeria specialist and its coordinator's classifier (the shop's share them)."""


@contextlib.contextmanager
def local_server(model: str, slots: int = DEFAULT_SLOTS, ctx_per_slot: int = 4096) -> Iterator[LlamaServer]:
    """`model` provisioned (with progress; seconds once cached) and served until the block ends.

    `slots` 0 still runs one slot; `env_settings(server, 0)` then leaves specialists unpinned.
    """
    subprocess.run([sys.executable, "-m", "eval.real", "provision", "--model", model], check=True)
    with LlamaServer(ServerConfig.for_model(model, slots=max(slots, 1), ctx_per_slot=ctx_per_slot)) as server:
        yield server


def env_settings(server: LlamaServer, slots: int) -> dict[str, str]:
    """The project settings that point the agents at `server` through LiteLLM (`LLM_SLOTS=slots` pins specialists)."""
    return {"LLM_MODEL": f"openai/{server.config.alias}", "OLLAMA_API_BASE": server.api_base,
            "OPENAI_API_KEY": "none", "LLM_SLOTS": str(slots)}
