"""From a fresh clone to a conversation, as a newcomer following the README word for word.

One clone of the working tree per module (committed files plus uncommitted changes), with
`.env.example` copied to `.env`, a home directory of its own (so ADK has never been
answered its telemetry question) and the machine's pip cache (so the install reuses the
wheels). Then:

- `make run` under a pseudo-terminal (as typed at a shell; ADK asks its question only on a
  terminal), fed a whole order on the scripted model: first run (installs) and second run
  (installed), each timed to the first prompt; the order is saved and no prompt blocked;
- every command in the README's fenced blocks that needs no model server;
- `make test` (on tests/firstrun only: the whole suite already runs around this test).

The timings go to `.data/firstrun/timings.json` of the repository running the tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eval.real.server import free_port
from tools.settings import REPO_ROOT, TRIAL_MOMENT, Settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("FRESH_CLONE_INNER") == "1", reason="already inside a fresh-clone run"),
    pytest.mark.skipif(not (REPO_ROOT / ".git").exists() or shutil.which("make") is None, reason="needs git and make"),
]

ORDER = ["hola", "me llamo Ana", "dos muzzas grandes y una coca de litro y medio", "eso es todo", "sí", "Av. Corrientes 1234", "efectivo"]
PROMPT = "[user]: "
INSTALL_TIMEOUT_S = 1800
TIMINGS = REPO_ROOT / ".data" / "firstrun" / "timings.json"
_timings: dict[str, float] = {}


class Terminal:
    """A command on a pseudo-terminal: `expect` text, `send` lines, everything it printed in `output`."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave,
                                        start_new_session=True)
        os.close(slave)
        self.output = ""

    def expect(self, text: str, timeout_s: float) -> float:
        """Seconds since the start when `text` had appeared (after what was already read)."""
        seen = len(self.output)
        deadline = time.monotonic() + timeout_s
        while text not in self.output[seen:]:
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                raise AssertionError(f"{text!r} never appeared; the end of the output:\n{self.output[-3000:]}")
            if select.select([self.master], [], [], min(left, 1.0))[0]:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the command closed the terminal
                    chunk = b""
                self.output += chunk.decode(errors="replace").replace("\r\n", "\n")
        return time.monotonic() - self.started

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def close(self, timeout_s: float = 60) -> int:
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait()
        os.close(self.master)
        return code


def _working_tree_copy(dest: Path) -> None:
    """A `git clone` of this repository, with the working tree's uncommitted changes laid over it."""
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(dest)], check=True, timeout=300)

    def listed(*flags: str) -> list[str]:
        found = subprocess.run(["git", "ls-files", "-z", *flags], cwd=REPO_ROOT, capture_output=True, check=True)
        return [name for name in found.stdout.decode().split("\0") if name]

    for name in listed("-d"):
        (dest / name).unlink(missing_ok=True)
    for name in listed("-m", "-o", "--exclude-standard"):
        source, target = REPO_ROOT / name, dest / name
        if source.exists() or source.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)


def newcomer_env(home: Path) -> dict[str, str]:
    """The machine's environment as a newcomer's shell has it: none of our settings, a fresh home, pip's cache."""
    ours = {name.upper() for name in Settings.model_fields}
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    env = {k: v for k, v in os.environ.items()
           if k not in ours and k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST"}}
    venv_bin = str(Path(os.environ.get("VIRTUAL_ENV", "/nonexistent")) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env | {"HOME": str(home), "PIP_CACHE_DIR": cache, "TERM": "dumb"}


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path_factory.mktemp("fresh-clone")
    repo, home = root / "repo", root / "home"
    home.mkdir()
    started = time.monotonic()
    _working_tree_copy(repo)
    shutil.copyfile(repo / ".env.example", repo / ".env")  # what the file itself says to do
    _timings["clone_s"] = round(time.monotonic() - started, 1)
    yield repo, newcomer_env(home)
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS.write_text(json.dumps(_timings, indent=2) + "\n")


def _make_run(repo: Path, env: dict[str, str], first_prompt_within_s: float, lines: list[str]) -> tuple[float, str]:
    """`LLM_MODEL=scripted make run`, typed at a terminal; (seconds to the first prompt, all it printed)."""
    terminal = Terminal(["make", "run"], repo, env | {"LLM_MODEL": "scripted", "PIZZERIA_NOW": TRIAL_MOMENT})  # open
    try:
        to_prompt = terminal.expect(PROMPT, first_prompt_within_s)
        for line in lines:
            terminal.send(line)
            terminal.expect(PROMPT, 120)
        terminal.send("exit")
    finally:
        code = terminal.close()
    assert code == 0, terminal.output[-3000:]
    return to_prompt, terminal.output


def _saved_orders(repo: Path, env: dict[str, str]) -> list[dict[str, object]]:
    script = "import json; from tools.pizzeria import stores; print(json.dumps([o.model_dump(mode='json') for o in stores.orders().all()]))"
    done = subprocess.run([".venv/bin/python", "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_first_make_run_installs_and_takes_a_whole_order_with_no_prompt_in_the_way(clone: tuple[Path, dict[str, str]]) -> None:
    repo, env = clone
    to_prompt, output = _make_run(repo, env, INSTALL_TIMEOUT_S, ORDER)
    _timings["first_run_to_prompt_s"] = round(to_prompt, 1)
    assert "Enable telemetry" not in output and "[Y/n]" not in output
    assert "Collecting" in output or "Requirement already satisfied" in output  # pip shows what it does
    assert "shop catalog ready" in output and "ADK telemetry left off" in output
    assert "Tu pedido #1001" in output
    assert "Traceback" not in output and "EXPERIMENTAL" not in output and "Give Feedback" not in output
    (order,) = _saved_orders(repo, env)
    assert order["customer_name"] == "Ana" and order["address"] == "Av. Corrientes 1234"
    assert {(i["item_id"], i["quantity"]) for i in order["items"]} == {("muzzarella", 2), ("coca_cola", 1)}
    assert json.loads((Path(env["HOME"]) / ".adk" / "config.json").read_text()) == {"telemetry": False}


def test_second_make_run_skips_the_install(clone: tuple[Path, dict[str, str]]) -> None:
    repo, env = clone
    to_prompt, output = _make_run(repo, env, 300, ["hola"])
    _timings["second_run_to_prompt_s"] = round(to_prompt, 1)
    assert "pip install" not in output and "Installing the pinned" not in output
    assert "¿Cómo es tu nombre?" in output or "Qué bueno verte" in output


# ----------------------------------------------------------------- the README's commands

NEEDS_A_MODEL_SERVER = re.compile(r"\bollama (serve|pull)\b|--model |SMOKE_MODEL=")
COVERED_ABOVE = {"make run", "make test"}


def readme_commands() -> list[str]:
    """Every command line in the README's ```bash blocks (comments dropped)."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)
    return [line.split(" #")[0].strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _serve_and_probe(command: str, repo: Path, env: dict[str, str], probe: str) -> None:
    """Start a server command (on a free port), GET `probe` once it answers, stop it."""
    port = free_port()
    command = re.sub(r"--port \d+", f"--port {port}", command)
    process = subprocess.Popen(["bash", "-c", command], cwd=repo, env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                response = httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, f"{command} never answered on {probe}"
                time.sleep(1)
        assert response.status_code == 200, response.text
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def test_every_readme_command_runs_as_printed(clone: tuple[Path, dict[str, str]]) -> None:
    repo, env = clone
    commands = readme_commands()
    assert COVERED_ABOVE <= set(commands) and any("adk eval" in c for c in commands)
    ran, orders_before = [], len(_saved_orders(repo, env))
    for command in commands:
        if command in COVERED_ABOVE or NEEDS_A_MODEL_SERVER.search(command):
            continue
        started = time.monotonic()
        if "adk web" in command:
            _serve_and_probe(command, repo, env, "/list-apps")
        elif "-m gateway" in command:
            _serve_and_probe(command, repo, env, "/healthz")
        elif re.search(r"\badk run\b", command):  # typed at a terminal: one message, then exit
            terminal = Terminal(["bash", "-c", command], repo, env)
            try:
                terminal.expect(PROMPT, 300)
                terminal.send("hola")
                terminal.expect(PROMPT, 120)
                terminal.send("exit")
            finally:
                assert terminal.close() == 0, terminal.output[-2000:]
            assert "[pizzeria]: ¡Hola" in terminal.output or "[tienda]: ¡Hola" in terminal.output, terminal.output[-2000:]
        else:
            done = subprocess.run(["bash", "-c", command], cwd=repo, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            if "adk eval" in command:
                assert "Tests failed: 0" in done.stdout and "Tests passed: 0" not in done.stdout, done.stdout[-2000:]
        ran.append(f"{time.monotonic() - started:6.1f} s  {command[:90]}")
    _timings["readme_commands"] = len(ran)  # type: ignore[assignment]
    print("\n".join(ran))
    assert len(ran) >= 6, ran
    assert len(_saved_orders(repo, env)) == orders_before  # evaluations wrote no order into the user's data


def test_make_test_runs_in_the_fresh_clone(clone: tuple[Path, dict[str, str]]) -> None:
    repo, env = clone
    started = time.monotonic()
    done = subprocess.run(["make", "test"], cwd=repo, capture_output=True, text=True, timeout=1800,
                          env=env | {"FRESH_CLONE_INNER": "1", "PYTEST_ADDOPTS": "tests/firstrun/test_settings.py"})
    _timings["make_test_subset_s"] = round(time.monotonic() - started, 1)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"\d+ passed", done.stdout), done.stdout[-2000:]
