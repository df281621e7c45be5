"""Configuration is validated at start, with errors that name the variable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tools.settings import Settings


def test_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_NUM_CTX", "mucho")
    with pytest.raises(ValidationError) as error:
        Settings()
    assert "llm_num_ctx" in str(error.value)


def test_out_of_range_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_MODEL_CALLS_PER_TURN", "0")
    with pytest.raises(ValidationError) as error:
        Settings()
    assert "max_model_calls_per_turn" in str(error.value)


def test_every_setting_is_documented_in_env_example() -> None:
    from tools.settings import REPO_ROOT

    documented = (REPO_ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert name.upper() in documented, name
