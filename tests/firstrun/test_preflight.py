"""The pre-flight check before a chat (`make run`), `/readyz` and `python -m eval --model`: one function."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gateway import health
from tests.fake_ollama import FakeOllama
from tools.llm import preflight
from tools.llm.preflight import (
    ModelNotPulled,
    ModelUnavailable,
    check_model_server,
    ollama_model,
)
from tools.settings import REPO_ROOT, Settings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings(model: str, base: str) -> Settings:
    return Settings(_env_file=None, llm_model=model, ollama_api_base=base)


def test_ollama_model_names() -> None:
    assert ollama_model("ollama_chat/qwen2.5:7b") == "qwen2.5:7b"
    assert ollama_model("ollama/llama3.1:8b") == "llama3.1:8b"
    assert ollama_model("openai/qwen") is None and ollama_model("scripted") is None


async def test_the_scripted_model_needs_no_server() -> None:
    assert "scripted" in await check_model_server(settings("scripted", f"http://127.0.0.1:{_closed_port()}"))


async def test_no_server_names_the_url_tried() -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(ModelUnavailable) as down:
        await check_model_server(settings("ollama_chat/qwen2.5:7b", base))
    assert base in str(down.value)


async def test_a_model_the_server_lacks_is_not_ready_and_readyz_says_so() -> None:
    with FakeOllama(models=("llama3.1:8b", "mistral:latest")) as fake:
        configured = settings("ollama_chat/qwen2.5:7b", fake.url)
        with pytest.raises(ModelNotPulled, match="qwen2.5:7b"):
            await check_model_server(configured)
        with pytest.raises(ModelNotPulled):
            await health.model_server(configured)  # /readyz's check is the same function
        assert await health.model_server(settings("ollama_chat/llama3.1:8b", fake.url)) == fake.url
        assert await check_model_server(settings("ollama/mistral", fake.url + "/")) == fake.url  # ":latest" and a trailing slash


async def test_pull_shows_progress_and_only_ollama_models_are_pulled() -> None:
    with FakeOllama(models=()) as fake:
        out = io.StringIO()
        await preflight.pull(settings("ollama_chat/qwen2.5:7b", fake.url), out)
        assert [r["body"] for r in fake.requests if r["path"] == "/api/pull"] == [{"model": "qwen2.5:7b", "stream": True}]
        progress = out.getvalue()
        assert "Pulling qwen2.5:7b" in progress and "50% of 4.0 GB" in progress and "success" in progress
        with pytest.raises(ValueError):
            await preflight.pull(settings("openai/qwen", fake.url), out)


def _cli(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    names = {n.upper() for n in Settings.model_fields}
    base = {k: v for k, v in os.environ.items() if k not in names}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=home, timeout=120,
                          env=base | {"HOME": str(home), "PYTHONPATH": str(REPO_ROOT)} | env)


def test_cli_without_a_server_names_the_url_and_the_three_ways_out(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    done = _cli("-m", "tools.llm.preflight", home=tmp_path, LLM_MODEL="ollama_chat/qwen2.5:7b", OLLAMA_API_BASE=base)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"no model server answers at {base}" in done.stderr
    assert "ollama pull qwen2.5:7b" in done.stderr and "LLM_MODEL=scripted make run" in done.stderr
    assert "OLLAMA_API_BASE=" in done.stderr


def test_cli_pulls_a_missing_ollama_model_then_passes(tmp_path: Path) -> None:
    with FakeOllama(models=()) as fake:
        done = _cli("-m", "tools.llm.preflight", home=tmp_path, LLM_MODEL="ollama_chat/qwen2.5:7b", OLLAMA_API_BASE=fake.url)
        assert done.returncode == 0, done.stderr
        assert "Pulling qwen2.5:7b" in done.stderr and f"Model ollama_chat/qwen2.5:7b: {fake.url}" in done.stderr
        refused = _cli("-m", "tools.llm.preflight", "--no-pull", home=tmp_path, LLM_MODEL="ollama_chat/other:1b",
                       OLLAMA_API_BASE=fake.url)
        assert refused.returncode == 1 and "does not have the model other:1b" in refused.stderr


def test_cli_never_pulls_for_other_providers(tmp_path: Path) -> None:
    with FakeOllama(models=()) as fake:
        done = _cli("-m", "tools.llm.preflight", home=tmp_path, LLM_MODEL="openai/qwen", OLLAMA_API_BASE=fake.url)
        assert [r["path"] for r in fake.requests] == ["/models"]  # reachable (404 is an answer), nothing pulled
        assert done.returncode == 0, done.stderr


def test_cli_answers_adks_telemetry_question_once_with_its_default(tmp_path: Path) -> None:
    done = _cli("-m", "tools.llm.preflight", home=tmp_path, LLM_MODEL="scripted")
    assert done.returncode == 0 and "ADK telemetry left off" in done.stderr
    assert json.loads((tmp_path / ".adk" / "config.json").read_text()) == {"telemetry": False}
    (tmp_path / ".adk" / "config.json").write_text('{"telemetry": true}')
    again = _cli("-m", "tools.llm.preflight", home=tmp_path, LLM_MODEL="scripted")
    assert "telemetry" not in again.stderr  # an answer on record is the user's: left alone
    assert json.loads((tmp_path / ".adk" / "config.json").read_text()) == {"telemetry": True}


def test_eval_with_a_real_model_stops_before_any_case_when_its_server_is_down(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    done = subprocess.run([sys.executable, "-m", "eval", "--model", "ollama_chat/qwen2.5:7b", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
                          env=os.environ | {"OLLAMA_API_BASE": base, "HOME": str(tmp_path)})
    assert done.returncode != 0 and base in done.stderr and "LLM_MODEL=scripted" in done.stderr
    assert not (tmp_path / "eval_report.json").exists()
