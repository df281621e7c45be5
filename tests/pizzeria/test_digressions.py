"""Digressions: menu questions mid-order leave the order and phase as they were."""

from __future__ import annotations

from tests.pizzeria.helpers import chat_with_order, lines
from tools.pizzeria.menu import format_price, load_menu


async def test_menu_question_mid_order() -> None:
    chat = await chat_with_order()
    before = await chat.state()
    turn = await chat.say("¿qué empanadas tienen?")
    after = await chat.state()
    assert [c[0] for c in turn.tool_calls] == ["get_menu"]
    assert turn.tool_calls[0][1] == {"category": "empanadas"}
    assert "Empanada de humita" in turn.reply
    assert format_price(load_menu().item("empanada_carne").prices["docena"]) in turn.reply
    assert lines(after) == lines(before) and after["conversation_phase"] == "TOMANDO_PEDIDO"


async def test_menu_question_during_confirmation_keeps_the_phase() -> None:
    chat = await chat_with_order()
    await chat.say("eso es todo")
    await chat.say("cuánto sale la napolitana?")
    assert (await chat.state())["conversation_phase"] == "CONFIRMANDO_PEDIDO"
    await chat.say("sí")
    assert (await chat.state())["conversation_phase"] == "RECOGIENDO_DIRECCION"


async def test_unclear_message_asks_the_model_to_classify_once() -> None:
    chat = await chat_with_order()
    turn = await chat.say("che y eso viene con algo")
    classifier_calls = [v for v in chat.model.requests[-turn.model_calls:] if "Clasificá" in v.system]
    assert len(classifier_calls) == 1
    assert turn.tool_calls  # then a specialist handled it
