"""Settings as a newcomer meets them: `.env.example` copied as is, empty values, wrong values."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.settings import REPO_ROOT, InvalidSettings, Settings, load_settings

_OURS = {name.upper() for name in Settings.model_fields}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting in the environment, and a working directory of our own (where `.env` is read)."""
    for name in _OURS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_env_example_copied_as_env_gives_the_defaults(clean_env: Path) -> None:
    shutil.copyfile(REPO_ROOT / ".env.example", clean_env / ".env")
    settings = load_settings()
    defaults = Settings(_env_file=None)
    differing = {name for name in Settings.model_fields if getattr(settings, name) != getattr(defaults, name)}
    assert differing == {"demo_user"}  # the one value .env.example sets on purpose
    assert settings.demo_user == "5491160000001" and settings.smtp_port is None


def test_an_empty_value_means_the_default(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text("SMTP_PORT=\nLLM_NUM_CTX=\nLLM_MODEL=\nLOG_FORMAT=\n")
    monkeypatch.setenv("OLLAMA_API_BASE", "")
    settings = load_settings()
    assert (settings.smtp_port, settings.llm_num_ctx, settings.llm_model, settings.log_format) == (
        None, 4096, "ollama_chat/qwen2.5:7b", "auto")
    assert settings.ollama_api_base == "http://127.0.0.1:11434"


def test_each_invalid_setting_is_one_line_naming_the_variable(clean_env: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _OURS} | {
        "LLM_NUM_CTX": "abc", "LLM_MODEL": "bogus", "MAX_MODEL_CALLS_PER_TURN": "0", "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", "from tools.settings import get_settings; get_settings()"],
                          capture_output=True, text=True, cwd=clean_env, env=env, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr and len(lines) == 4, done.stderr
    assert lines[0].startswith("Invalid settings")
    assert [line.split("=")[0].strip() for line in lines[1:]] == ["LLM_MODEL", "LLM_NUM_CTX", "MAX_MODEL_CALLS_PER_TURN"]
    assert "llm_num_ctx" not in done.stderr
    assert "ollama_chat/<model>" in lines[1]  # the bogus model string is answered with the accepted forms


@pytest.mark.parametrize("model", ["scripted", "ollama_chat/qwen2.5:7b", "ollama/llama3.1:8b", "openai/qwen", "hosted_vllm/Qwen/Qwen2.5-7B"])
def test_model_strings_that_start(clean_env: Path, monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    monkeypatch.setenv("LLM_MODEL", model)
    assert load_settings().llm_model == model


@pytest.mark.parametrize("model", ["bogus", "qwen2.5:7b", "ollama_chat/", "Ollama/qwen", "ollama chat/qwen"])
def test_model_strings_refused_at_start(clean_env: Path, monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    monkeypatch.setenv("LLM_MODEL", model)
    with pytest.raises(InvalidSettings) as refused:
        load_settings()
    assert refused.value.lines[0].startswith("  LLM_MODEL=")


def test_a_secret_is_never_echoed(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", "hunter2")  # refused: under 32 bytes
    with pytest.raises(InvalidSettings) as refused:
        load_settings()
    message = "\n".join(refused.value.lines)
    assert "JWT_SECRET" in message and "hunter2" not in message
