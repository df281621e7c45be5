"""After a handoff nobody answers, the bot comes back (HANDOFF_RELEASE_S), and the customer is told so."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ecommerce_agent.supervisor import handoff_reply
from tests.ecommerce.test_conversations import APP, C0001, ShopChat
from tools.llm import handoff
from tools.settings import get_settings
from tools.shop.replies import BACK_FROM_HANDOFF as BACK_REPLY
from tools.shop.replies import HANDOFF as HANDOFF_REPLY


@pytest.fixture
def release_after_a_minute(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HANDOFF_RELEASE_S", "60")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


START = time.time()


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The handoff clock reads `seconds` after the test module started (handoffs are recorded at real time)."""
    monkeypatch.setattr(handoff.time, "time", lambda: START + seconds)


def test_the_handoff_message_says_when_the_bot_comes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    assert handoff_reply().startswith(HANDOFF_REPLY) and "30 minutos" in handoff_reply()
    monkeypatch.setenv("HANDOFF_RELEASE_S", "60")
    get_settings.cache_clear()
    assert "en un minuto" in handoff_reply()
    monkeypatch.setenv("HANDOFF_RELEASE_S", "0")
    get_settings.cache_clear()
    assert handoff_reply() == HANDOFF_REPLY  # never released by time: nothing promised
    get_settings.cache_clear()


async def test_nobody_answered_so_the_bot_takes_the_conversation_back(
    release_after_a_minute: None, shop: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = await ShopChat.open(C0001)
    assert (await chat.say("quiero hablar con una persona"))[0] == handoff_reply()
    assert (await chat.say("hola? hay alguien?"))[0] == ""  # within the minute: silent, a person may answer
    _later(monkeypatch, time.time() - START + 61)
    reply, calls, _ = await chat.say("dónde está mi pedido 4581230?")
    assert reply.startswith(BACK_REPLY) and "#4581230" in reply and calls[0][0] == "track_order"
    state = await chat.state()
    assert state["requires_human"] is False and state["handoff_at"] is None
    assert await handoff.handed_off(chat.runner.session_service, APP) == []


async def test_a_persons_reply_restarts_the_clock(release_after_a_minute: None, shop: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    chat = await ShopChat.open(C0001)
    await chat.say("quiero hablar con una persona")
    handed_off_at = time.time() - START
    _later(monkeypatch, handed_off_at + 50)
    await handoff.operator_reply(chat.runner.session_service, APP, C0001, chat.session_id, "Hola, soy Laura.")
    _later(monkeypatch, handed_off_at + 100)  # 100 s after the handoff, 50 s after Laura wrote
    assert (await chat.say("gracias Laura"))[0] == ""
    assert (await chat.state())["requires_human"] is True
