"""Digressions: menu questions mid-order leave the order and phase as they were."""

from __future__ import annotations

from tests.chat import Chat
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


async def test_a_first_message_that_orders_is_not_dropped_to_ask_the_name() -> None:
    chat = await Chat.open(user_id="5491100000501")
    first = await chat.say("quiero dos muzzas grandes")
    assert "Bienvenido" in first.reply and lines(await chat.state()) == {("muzzarella", "grande", 2)}
    named = await chat.say("me llamo Ana")  # the name can still come later, and is taken as a name
    state = await chat.state()
    assert state["user_name"] == "Ana" and "Ana" in named.reply
    assert lines(state) == {("muzzarella", "grande", 2)}


async def test_a_first_message_with_the_name_registers_it() -> None:
    chat = await Chat.open(user_id="5491100000502")
    turn = await chat.say("hola, me llamo Lucía")
    state = await chat.state()
    assert state["user_name"] == "Lucía" and state["conversation_phase"] == "TOMANDO_PEDIDO" and "Lucía" in turn.reply
