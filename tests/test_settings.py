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


SECRETS = ["JWT_SECRET", "SERVER_API_KEY", "OPERATOR_TOKEN", "PANEL_SECRET", "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_APP_SECRET",
           "LOOKUP_KEY"]


@pytest.mark.parametrize("variable", SECRETS)
def test_a_short_secret_stops_the_start_naming_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    from tools.settings import InvalidSettings, load_settings

    monkeypatch.setenv(variable, "x" * 31)
    with pytest.raises(InvalidSettings) as refused:
        load_settings()
    assert [line.split(":")[0].strip() for line in refused.value.lines] == [variable]
    assert "32" in refused.value.lines[0] and "x" * 31 not in str(refused.value)


@pytest.mark.parametrize("variable", SECRETS)
def test_a_32_byte_secret_or_none_starts(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "ñ" * 16)  # 32 bytes in UTF-8
    assert getattr(Settings(), variable.lower()) == "ñ" * 16
    monkeypatch.setenv(variable, "")
    assert getattr(Settings(), variable.lower()) == ""
