"""`make eval-real`'s runner (`python -m eval.tier`) against a model server given by `LLM_MODEL`:
the fake Ollama here (the llama.cpp path is the same `python -m eval` run on `openai/<alias>`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval import tier
from tests.fake_ollama import FakeOllama


def test_the_tier_runs_the_agents_and_the_baseline_and_prints_the_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOllama() as server:
        monkeypatch.setenv("LLM_MODEL", "ollama_chat/qwen2.5:7b")
        monkeypatch.setenv("OLLAMA_API_BASE", server.url)
        code = tier.main(["--agent", "pizzeria", "--baseline", "--out", str(tmp_path)])
    assert code == 0
    text = (tmp_path / "tier.md").read_text(encoding="utf-8")
    assert text in capsys.readouterr().out
    assert "`ollama_chat/qwen2.5:7b`" in text and "load average" in text and text.count("`uptime`") == 2
    assert "| pizzeria |" in text and "| baseline |" in text and "one LlmAgent with every tool" in text
    rows = [line for line in text.splitlines() if line.startswith("| pizzeria (conversation) |")]
    assert len(rows) == 10, "one row per natural conversation"
    assert (tmp_path / "agents" / "eval_report.json").exists() and (tmp_path / "baseline" / "eval_report.json").exists()
