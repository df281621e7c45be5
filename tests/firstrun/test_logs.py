"""Terminal noise: text logs on a terminal and JSON otherwise; LiteLLM quiet unless LOG_LEVEL=DEBUG."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from tools.observability.logs import LITELLM_LOGGERS, configure_logging
from tools.settings import Settings


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in LITELLM_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def _line(stream: io.StringIO, **settings: str) -> str:
    configure_logging(Settings(_env_file=None, **settings), stream=stream)
    logging.getLogger("tools.test").warning("hola %s", "mundo")
    return stream.getvalue().strip()


def test_auto_is_text_on_a_terminal_and_json_elsewhere() -> None:
    assert "WARNING tools.test: hola mundo" in _line(Terminal())
    assert json.loads(_line(io.StringIO()))["msg"] == "hola mundo"
    assert json.loads(_line(Terminal(), log_format="json"))["level"] == "WARNING"
    assert "hola mundo" in _line(io.StringIO(), log_format="text") and not _line(io.StringIO(), log_format="text").startswith("{")


def test_litellm_is_quiet_unless_debug() -> None:
    import litellm

    configure_logging(Settings(_env_file=None), stream=io.StringIO())
    for name in LITELLM_LOGGERS:
        logger = logging.getLogger(name)
        assert logger.getEffectiveLevel() == logging.WARNING
        assert not [h for h in logger.handlers if type(h) is logging.StreamHandler]  # no console of its own
    assert litellm.suppress_debug_info is True  # no "Give Feedback / Get Help" banners
    configure_logging(Settings(_env_file=None, log_level="DEBUG", log_content=True), stream=io.StringIO())
    assert litellm.suppress_debug_info is False
    assert logging.getLogger("LiteLLM").getEffectiveLevel() == logging.DEBUG


def test_building_a_litellm_model_quiets_it_too() -> None:
    """`adk run` never calls configure_logging: the model's construction is where LiteLLM gets imported."""
    from tools.llm.models import build_model

    logging.getLogger("LiteLLM").setLevel(logging.NOTSET)
    build_model(settings=Settings(_env_file=None, llm_model="ollama_chat/qwen2.5:7b"))
    assert logging.getLogger("LiteLLM").level == logging.WARNING
