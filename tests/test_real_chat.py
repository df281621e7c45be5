"""`LLM_MODEL=local make run` (`python -m eval.real chat`): what it starts and with which settings.

No model and no server here: the server's command line and the chat's environment are
built from a provisioned-looking model file in a temporary cache; the real chat is run
by hand (eval/README.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eval.real.chat import adk_command, chat_env
from eval.real.models import MODELS, model_path, write_stamp
from eval.real.server import DEFAULT_SLOTS, LlamaServer, ServerConfig
from eval.real.template import TEMPLATES
from tools.llm.models import build_model
from tools.llm.preflight import ModelUnavailable, check_model_server, ways_out
from tools.settings import REPO_ROOT, Settings, load_settings

MODEL = "qwen2.5-coder-1.5b"


def test_local_passes_settings_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MODEL", "local")
    assert load_settings().llm_model == "local"


async def test_the_preflight_sends_local_to_make_run_and_offers_it_to_everyone() -> None:
    local = Settings(_env_file=None, llm_model="local")  # type: ignore[call-arg]
    with pytest.raises(ModelUnavailable, match="make run"):
        await check_model_server(local)  # nothing serves `local` itself: /readyz is down, `adk run` refused
    assert "LLM_MODEL=local make run" in ways_out(local)
    assert "LLM_MODEL=local make run" in ways_out(Settings(_env_file=None, llm_model="ollama_chat/qwen2.5:7b"))  # type: ignore[call-arg]


def test_the_chat_serves_the_model_with_its_template_and_a_slot_per_specialist(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LOCAL_AGENTS_CACHE", str(tmp_path))
    spec = MODELS[MODEL]
    path = model_path(spec)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"GGUF")
    write_stamp(path, spec.sha256)
    config = ServerConfig.for_model(MODEL, port=5555, slots=DEFAULT_SLOTS)
    server = LlamaServer(config, binary=Path("/opt/llama/bin/llama-server"))

    command = server.command()
    options = {option: command[at + 1] for at, option in enumerate(command[:-1]) if option.startswith("--")}
    assert command[0] == "/opt/llama/bin/llama-server" and "--jinja" in command
    assert options["--host"] == "127.0.0.1" and options["--port"] == "5555" and options["--model"] == str(path)
    assert options["--chat-template-file"] == str(TEMPLATES[spec.tool_format])
    assert options["--parallel"] == str(DEFAULT_SLOTS) and options["--ctx-size"] == str(4096 * DEFAULT_SLOTS)

    env = chat_env(server, DEFAULT_SLOTS, {"LLM_MODEL": "local", "PATH": "/usr/bin"})
    assert env == {"LLM_MODEL": f"openai/{MODEL}", "OLLAMA_API_BASE": "http://127.0.0.1:5555/v1",
                   "OPENAI_API_KEY": "none", "LLM_SLOTS": str(DEFAULT_SLOTS), "PATH": "/usr/bin"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    model = build_model(settings=load_settings())  # the agents' model: llama-server, one pinned slot each
    assert model.model == f"openai/{MODEL}" and model.slot_map is not None  # type: ignore[attr-defined]
    assert adk_command("pizzeria_agent") == [sys.executable, "-m", "google.adk.cli", "run", "pizzeria_agent"]


def test_a_sigterm_ends_the_chat_it_runs_and_returns(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    child = f"import pathlib, time; pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    script = f"import sys; from eval.real.chat import run_foreground; sys.exit(run_foreground([sys.executable, '-c', {child!r}], {{}}) + 100)"
    runner = subprocess.Popen([sys.executable, "-c", script], cwd=REPO_ROOT, env=os.environ | {"PYTHONPATH": str(REPO_ROOT)})
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=10) == 100 - signal.SIGTERM  # the chat got the signal; the runner went on to clean up


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("where", ["environment", ".env"])
def test_make_run_routes_local_to_the_chat_command(tmp_path: Path, where: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy(REPO_ROOT / name, repo / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_MODEL", "MAKE"))}
    if where == ".env":
        (repo / ".env").write_text('OLLAMA_API_BASE=http://x\nLLM_MODEL="local"\n')
    else:
        env["LLM_MODEL"] = "local"
    planned = subprocess.run(["make", "-n", "run"], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout
    assert "-m eval.real chat --agent pizzeria_agent" in planned and "adk run" not in planned
    env.pop("LLM_MODEL", None)
    (repo / ".env").unlink(missing_ok=True)
    planned = subprocess.run(["make", "-n", "run"], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout
    assert "tools.llm.preflight" in planned and "adk run pizzeria_agent" in planned
