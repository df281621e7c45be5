"""Thanks and goodbyes in every phase get a short fixed reply and leave the order where it was."""

from __future__ import annotations

from tests.chat import Chat, saved_orders
from tests.pizzeria.helpers import KNOWN, chat_with_order, lines


async def test_thanks_after_the_order_is_saved_is_not_a_new_greeting() -> None:
    chat = await chat_with_order(order="una muzza grande")
    for text in ("eso es todo", "si", "Lavalle 900", "efectivo"):
        await chat.say(text)
    (order,) = saved_orders()
    turn = await chat.say("gracias, chau")
    state = await chat.state()
    assert turn.model_calls == 0 and "Hola" not in turn.reply and f"#{order['order_id']}" in turn.reply
    assert state["conversation_phase"] == "TOMANDO_PEDIDO" and lines(state) == set() and len(saved_orders()) == 1


async def test_thanks_mid_order_keeps_the_items() -> None:
    chat = await chat_with_order()
    before = await chat.state()
    turn = await chat.say("graciass!!")
    after = await chat.state()
    assert turn.model_calls == 0 and lines(after) == lines(before) and after["conversation_phase"] == "TOMANDO_PEDIDO"


async def test_thanks_while_confirming_then_yes_goes_on() -> None:
    chat = await chat_with_order()
    await chat.say("nada mas")
    await chat.say("mil gracias")
    assert (await chat.state())["conversation_phase"] == "CONFIRMANDO_PEDIDO"
    await chat.say("si")
    assert (await chat.state())["conversation_phase"] == "RECOGIENDO_DIRECCION"


async def test_goodbye_while_the_payment_is_asked_saves_nothing() -> None:
    chat = await chat_with_order()
    for text in ("listo", "dale", "Sarmiento 1500 1ro A"):
        await chat.say(text)
    await chat.say("bueno chau")
    state = await chat.state()
    assert saved_orders() == [] and state["conversation_phase"] == "RECOGIENDO_DIRECCION" and state["address"]


async def test_a_goodbye_as_the_first_message_asks_nothing() -> None:
    chat = await Chat.open(user_id=KNOWN)
    turn = await chat.say("chau gracias")
    state = await chat.state()
    assert turn.model_calls == 0 and "Hola" not in turn.reply and lines(state) == set()
    assert state["conversation_phase"] == "SALUDO", "nothing started: the next message is a first message again"
