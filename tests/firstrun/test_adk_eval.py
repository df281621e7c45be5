"""ADK's own `adk eval`, as the README prints it: it passes on the scripted model and never touches the user's data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from google.adk.cli.cli_tools_click import main as adk

from tools.settings import REPO_ROOT, eval_sandbox

ADK = Path(sys.executable).parent / "adk"


def test_no_sandbox_outside_adk_eval() -> None:
    assert eval_sandbox() is None
    with click.Context(adk.commands["run"], parent=click.Context(adk)):
        assert eval_sandbox() is None


def test_adk_eval_points_every_data_path_into_one_temporary_directory() -> None:
    with click.Context(adk.commands["eval"], parent=click.Context(adk)):
        sandbox = eval_sandbox()
    assert sandbox is not None
    root = Path(sandbox["pizzeria_data_dir"]).parent
    assert root.is_dir() and REPO_ROOT not in root.parents
    assert sandbox["database_url"].endswith(f"{root}/shop.db") and sandbox["chroma_path"] == root / "chroma"
    assert sandbox["keys_path"] == root / "keys.json" and sandbox["smtp_host"] == "" and sandbox["redis_url"] == ""


@pytest.mark.parametrize("agent, eval_set", [("pizzeria_agent", "eval/pizzeria/happy_path.evalset.json"),
                                             ("ecommerce_agent", "eval/ecommerce/multi_intent.evalset.json")])
def test_the_readme_adk_eval_passes_and_leaves_the_data_alone(tmp_path: Path, agent: str, eval_set: str) -> None:
    user_data = tmp_path / "user-data"
    env = os.environ | {
        "LLM_MODEL": "scripted", "PYTHONPATH": str(REPO_ROOT), "ADK_SUPPRESS_EXPERIMENTAL_FEATURE_WARNINGS": "true",
        "PIZZERIA_DATA_DIR": str(user_data / "pizzeria"), "DATABASE_URL": f"sqlite+aiosqlite:///{user_data}/shop.db",
        "CHROMA_PATH": str(user_data / "chroma"), "KEYS_PATH": str(user_data / "keys.json"),
    }
    config = f"eval/{agent.removesuffix('_agent')}/test_config.json"
    done = subprocess.run([str(ADK), "eval", agent, eval_set, "--config_file_path", config],
                          capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Tests failed: 0" in done.stdout and "Tests passed: 0" not in done.stdout, done.stdout[-2000:]
    assert not user_data.exists()  # orders, customers, tickets, invoices: all in adk eval's own temporary directory
