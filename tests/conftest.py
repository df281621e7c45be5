"""Shared fixtures: an isolated data directory per test and a conversation driver.

Everything below the model is real: the coordinator, specialists, tools, JSON
stores and ADK's Runner with its session service. Only the model is scripted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ["LLM_MODEL"] = "scripted"  # nothing in the suite may reach a model server

from tools.settings import TRIAL_MOMENT, get_settings

pytest_plugins = ["tests.shop_runtime"]  # the seeded-shop fixtures: `template`, `shop`


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own PIZZERIA_DATA_DIR (seeded from data/ on first use)."""
    directory = tmp_path / "pizzeria-data"
    monkeypatch.setenv("PIZZERIA_DATA_DIR", str(directory))
    monkeypatch.setenv("PIZZERIA_NOW", TRIAL_MOMENT)  # the pizzeria is open unless a test says otherwise
    get_settings.cache_clear()
    yield directory
    get_settings.cache_clear()
