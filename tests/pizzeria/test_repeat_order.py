"""A returning customer can ask for "lo mismo que la otra vez": the last saved order, re-priced from today's menu."""

from __future__ import annotations

from tests.chat import Chat, saved_orders
from tests.pizzeria.helpers import KNOWN, chat_with_order, lines


async def _first_order() -> None:
    chat = await chat_with_order(order="dos muzzas grandes y media docena de empanadas de carne")
    for text in ("eso es todo", "si", "Lavalle 1234", "efectivo"):
        await chat.say(text)


async def test_lo_mismo_que_la_otra_vez_in_a_new_conversation() -> None:
    await _first_order()
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("lo mismo que la otra vez")
    state = await chat.state()
    assert turn.model_calls == 0 and state["conversation_phase"] == "CONFIRMANDO_PEDIDO"
    assert lines(state) == {("muzzarella", "grande", 2), ("empanada_carne", "unidad", 6)}
    for text in ("si", "si a la misma", "transferencia"):
        await chat.say(text)
    first, second = saved_orders()
    assert second["items"] == first["items"] and second["payment_method"] == "transferencia"


async def test_the_repeat_in_the_first_message() -> None:
    await _first_order()
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("buenas! quiero lo de la otra vez")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("empanada_carne", "unidad", 6)}


async def test_no_previous_order_leaves_the_order_empty() -> None:
    chat = await Chat.open(user_id="5491100000641")
    await chat.say("hola, soy Pedro")
    turn = await chat.say("lo mismo de siempre")
    state = await chat.state()
    assert turn.model_calls == 0 and lines(state) == set() and state["conversation_phase"] == "TOMANDO_PEDIDO"


async def test_the_repeat_with_something_added() -> None:
    await _first_order()
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("haceme lo mismo que la ultima vez y agregale un flan")
    state = await chat.state()
    assert turn.model_calls == 0 and state["conversation_phase"] == "CONFIRMANDO_PEDIDO"
    assert lines(state) == {("muzzarella", "grande", 2), ("empanada_carne", "unidad", 6), ("flan", "porcion", 1)}
    assert "Flan" in turn.reply
