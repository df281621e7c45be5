"""While the pizzeria is closed (pizzeria.json's hours, on the injectable clock) it takes no order,
says when it opens, and still answers questions."""

from __future__ import annotations

import pytest

from tests.chat import Chat
from tests.pizzeria.helpers import KNOWN, lines
from tools.pizzeria import answers, business
from tools.settings import get_settings

MONDAY_NIGHT = "2026-12-07T21:00:00-03:00"  # closed all Monday
SATURDAY_AFTER_MIDNIGHT = "2026-12-05T00:30:00-03:00"  # Friday's evening runs until 01:00
SATURDAY_AFTERNOON = "2026-12-05T16:00:00-03:00"  # between lunch and dinner


def _at(monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    monkeypatch.setenv("PIZZERIA_NOW", moment)
    get_settings.cache_clear()


async def test_no_order_is_taken_while_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    _at(monkeypatch, MONDAY_NIGHT)
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("quiero dos muzzas grandes")
    state = await chat.state()
    assert lines(state) == set() and state["conversation_phase"] == "TOMANDO_PEDIDO" and turn.model_calls == 0
    assert "mañana a las 19:00" in turn.reply  # when it opens (Tuesday)


@pytest.mark.parametrize("text", ["si", "dale", "listo", "y eso para la juntada"])
async def test_nothing_reaches_the_order_specialist_while_closed(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """A real model once added two muzzas on "si" while closed: code answers every order turn then."""
    _at(monkeypatch, MONDAY_NIGHT)
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    await chat.say("dos napos grandes")
    turn = await chat.say(text)
    assert "order_agent" not in turn.authors and not turn.tool_calls and lines(await chat.state()) == set()
    assert "cerrados" in turn.reply


async def test_an_order_in_the_first_message_is_refused_while_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    _at(monkeypatch, SATURDAY_AFTERNOON)
    chat = await Chat.open(user_id="5491100000621")
    turn = await chat.say("hola quiero una napo grande y 6 empanadas de carne")
    assert lines(await chat.state()) == set() and "hoy a las 19:00" in turn.reply


async def test_menu_and_hours_are_answered_while_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    _at(monkeypatch, MONDAY_NIGHT)
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("buenas")
    hours = await chat.say("estan abiertos?")
    assert hours.model_calls == 0 and "cerrados" in hours.reply
    menu = await chat.say("que empanadas tienen?")
    assert [name for name, _ in menu.tool_calls] == ["get_menu"]


async def test_after_midnight_friday_is_still_open(monkeypatch: pytest.MonkeyPatch) -> None:
    _at(monkeypatch, SATURDAY_AFTER_MIDNIGHT)
    assert not answers.is_closed()
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    await chat.say("una muzza chica")
    assert lines(await chat.state()) == {("muzzarella", "chica", 1)}


def test_make_run_says_when_the_pizzeria_is_closed_and_how_to_try_it_open(monkeypatch: pytest.MonkeyPatch) -> None:
    _at(monkeypatch, MONDAY_NIGHT)
    note = business.closed_note()
    assert note is not None and "PIZZERIA_NOW=2026-12-08T19:00:00-03:00" in note
    _at(monkeypatch, note.split("PIZZERIA_NOW=")[1].split()[0])
    assert business.closed_note() is None
