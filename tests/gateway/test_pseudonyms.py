"""Issue 16 points 3 and 4: keyed session ids, logs that cannot be turned back into phones (point 9, the indexed
handoff list: `test_handoff_listing.py`)."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gateway.sessions import create_session_service
from gateway.turns import Conversation
from tests.gateway.conftest import Service, token
from tools.crypto import reset_cipher
from tools.observability import configure_logging
from tools.settings import Settings, get_settings
from tools.shop.db import create_engine

PHONE = "5491100009001"
ADDRESS = "mi dirección es Av. Siempreviva 742"


def test_session_ids_are_a_keyed_hash_not_a_hash_anyone_can_recompute(monkeypatch: pytest.MonkeyPatch) -> None:
    convo = Conversation("pizzeria", "whatsapp", PHONE)
    unkeyed = f"whatsapp-{hashlib.sha256(f'pizzeria:whatsapp:{PHONE}'.encode()).hexdigest()[:24]}"
    first = convo.session_id
    assert first != unkeyed
    assert convo.session_user != PHONE and PHONE not in convo.key
    monkeypatch.setenv("LOOKUP_KEY", "another-lookup-key-for-this-test-0123456789")
    get_settings.cache_clear()
    reset_cipher()
    try:
        assert Conversation("pizzeria", "whatsapp", PHONE).session_id != first, "the id depends on the key"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        reset_cipher()


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    buffer = io.StringIO()
    configure_logging(Settings(log_format="json", log_level="INFO", log_content=False), stream=buffer)
    yield buffer
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    sys.excepthook, threading.excepthook = sys.__excepthook__, threading.__excepthook__
    logging.captureWarnings(False)


def _no_phone_digits(logged: str) -> None:
    assert PHONE not in logged
    assert not re.search(r"\*{4}\d{4}", logged), "a masked phone with its last digits left can be brute-forced"


async def test_log_lines_of_a_turn_carry_the_pseudonym_and_no_digit_of_the_phone(
    service: Service, log_stream: io.StringIO
) -> None:
    configure_logging(Settings(log_format="json", log_level="INFO", log_content=False), stream=log_stream)
    assert (await service.chat("pizzeria", "hola", token(PHONE))).status_code == 200
    logged = log_stream.getvalue()
    _no_phone_digits(logged)
    assert f'"user": "{Conversation("pizzeria", "web", PHONE).session_user}"' in logged


def test_a_traceback_naming_the_conversation_key_is_redacted(log_stream: io.StringIO) -> None:
    try:
        try:
            raise KeyError(f"pizzeria:web:{PHONE}:req-1")
        except KeyError as inner:
            raise RuntimeError(f"lease lost for pizzeria:web:{PHONE}:") from inner
    except RuntimeError:
        logging.getLogger("tests.pseudonyms").exception("turn failed")
    logged = log_stream.getvalue()
    assert "turn failed" in logged and "KeyError" in logged
    _no_phone_digits(logged)


def test_an_uncaught_exception_in_a_thread_is_logged_redacted(log_stream: io.StringIO) -> None:
    def fail() -> None:
        raise RuntimeError(f"no lease for pizzeria:whatsapp:{PHONE}:")

    worker = threading.Thread(target=fail)
    worker.start()
    worker.join()
    logged = log_stream.getvalue()
    assert "uncaught exception" in logged and "RuntimeError" in logged
    _no_phone_digits(logged)


async def test_database_errors_do_not_carry_the_statement_parameters(tmp_path: Path, log_stream: io.StringIO) -> None:
    sessions = create_session_service(f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}")
    await sessions.create_session(app_name="a", user_id="u", session_id="s")
    business = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'business.db'}")
    async with business.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT)"))
        await conn.execute(text("INSERT INTO notes VALUES ('n', 'x')"))
    duplicates = [
        (sessions.db_engine, ("INSERT INTO sessions (app_name, user_id, id, state, create_time, update_time)"
                              " VALUES ('a', 'u', 's', :body, 0, 0)")),
        (business, "INSERT INTO notes VALUES ('n', :body)"),
    ]
    for engine, statement in duplicates:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(text(statement), {"body": ADDRESS})
        logging.getLogger("tests.pseudonyms").error("write failed: %s", caught.value)
        assert "Siempreviva" not in str(caught.value)
    assert "Siempreviva" not in log_stream.getvalue()
    await sessions.close()
    await business.dispose()
