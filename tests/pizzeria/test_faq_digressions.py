"""Questions a pizzeria is asked (hours, delivery, payment, the order's status) are answered from
pizzeria.json and the saved orders with no model call, and the order stays where it was."""

from __future__ import annotations

from tests.chat import Chat, saved_orders
from tests.pizzeria.helpers import KNOWN, chat_with_order, lines
from tools.pizzeria import stores
from tools.pizzeria.stores import OrderStatus


async def _unchanged(chat: Chat, text: str) -> str:
    before = await chat.state()
    turn = await chat.say(text)
    after = await chat.state()
    assert turn.model_calls == 0 and not turn.tool_calls, f"{text!r} is answered from data"
    assert lines(after) == lines(before) and after["conversation_phase"] == before["conversation_phase"]
    assert after["address"] == before["address"] and after["order_confirmed"] == before["order_confirmed"]
    return turn.reply


async def test_hours_delivery_and_payment_mid_order_keep_the_order() -> None:
    chat = await chat_with_order()
    assert "01:00" in await _unchanged(chat, "hasta q hora abren??")  # Friday night: open until 1
    assert "1.500" in await _unchanged(chat, "che hacen envios a palermo?")
    assert "DONCARLO.PIZZA" in await _unchanged(chat, "puedo pagar con transferencia?")
    await chat.say("y una coca chica")
    assert ("coca_cola", "500ml", 1) in lines(await chat.state())


async def test_delivery_question_while_confirming_returns_to_the_confirmation() -> None:
    chat = await chat_with_order()
    await chat.say("eso es todo")
    await _unchanged(chat, "llegan a villa crespo?")
    await chat.say("si")
    assert (await chat.state())["conversation_phase"] == "RECOGIENDO_DIRECCION"


async def test_payment_question_while_the_address_is_asked_keeps_asking_the_address() -> None:
    chat = await chat_with_order()
    await chat.say("eso es todo")
    await chat.say("dale")
    await _unchanged(chat, "aceptan mercado pago?")
    await chat.say("Lavalle 1234 2B")
    await chat.say("mercado pago")
    (order,) = saved_orders()
    assert order["address"] == "Lavalle 1234 2B" and order["payment_method"] == "Mercado Pago"


async def test_how_long_before_anything_is_saved_keeps_the_order() -> None:
    chat = await chat_with_order()
    await _unchanged(chat, "cuanto tarda el pedido?")
    assert saved_orders() == []


async def test_order_status_is_read_from_the_saved_order() -> None:
    chat = await chat_with_order(order="una napo grande")
    for text in ("nada mas", "si", "Humboldt 1500", "efectivo"):
        await chat.say(text)
    (order,) = saved_orders()
    first = await _unchanged(chat, "ya salio mi pedido?")
    assert f"#{order['order_id']}" in first
    stores.orders().change_status(order["order_id"], OrderStatus.COOKING, "Carlos")
    stores.orders().change_status(order["order_id"], OrderStatus.ON_THE_WAY, "Carlos")
    second = await _unchanged(chat, "cuanto falta??")
    assert second != first and f"#{order['order_id']}" in second
    assert len(saved_orders()) == 1


async def test_a_new_customer_asking_the_hours_first_is_then_asked_the_name() -> None:
    chat = await Chat.open(user_id="5491100000611")
    turn = await chat.say("a que hora cierran hoy?")
    assert turn.model_calls == 0 and (await chat.state())["conversation_phase"] == "SALUDO"
    await chat.say("hola, me llamo Ana")
    state = await chat.state()
    assert state["user_name"] == "Ana" and state["conversation_phase"] == "TOMANDO_PEDIDO"


async def test_a_known_customer_asking_about_delivery_first_can_order_next() -> None:
    chat = await Chat.open(user_id=KNOWN)
    turn = await chat.say("hola!! hacen delivery a belgrano?")
    assert turn.model_calls == 0
    await chat.say("entonces una fuga grande")
    assert lines(await chat.state()) == {("fugazzeta", "grande", 1)}


async def test_a_question_in_the_same_message_as_the_order_is_answered_and_the_order_taken() -> None:
    chat = await chat_with_order(order="una muzza grande")
    turn = await chat.say("y dos empanadas de carne, hacen envios a palermo?")
    assert ("empanada_carne", "unidad", 2) in lines(await chat.state()) and "1.500" in turn.reply


async def test_a_payment_named_with_the_order_is_not_asked_again() -> None:
    chat = await chat_with_order(order="quiero una napo grande, pago con transferencia")
    for text in ("eso es todo", "si", "Humboldt 1500"):
        await chat.say(text)
    (order,) = saved_orders()
    assert order["payment_method"] == "transferencia"



async def test_a_price_question_is_answered_from_the_menu_in_code() -> None:
    """A real 1.5B model answered "¿cuánto sale la napo grande?" without the price: prices are code's."""
    chat = await chat_with_order(order="dos fugazzetas grandes")
    one = await chat.say("cuanto sale la napo grande?")
    assert one.model_calls == 0 and "$15.500" in one.reply and lines(await chat.state()) == {("fugazzeta", "grande", 2)}
    every = await chat.say("y la calabresa cuanto sale?")
    assert every.model_calls == 0 and all(p in every.reply for p in ("$10.400", "$13.500", "$16.500"))
    await chat.say("eso es todo")
    confirming = await chat.say("y la calabresa grande cuanto sale?")
    assert confirming.model_calls == 0 and "$16.500" in confirming.reply and "confirm" in confirming.reply.lower()
    assert (await chat.state())["conversation_phase"] == "CONFIRMANDO_PEDIDO"


async def test_a_price_as_the_first_message_greets_the_known_customer_too() -> None:
    chat = await Chat.open(user_id=KNOWN)
    turn = await chat.say("hola, cuanto sale la muzza grande?")
    assert turn.model_calls == 0 and "$13.900" in turn.reply and "Carlos" in turn.reply


async def test_do_you_have_an_item_is_answered_from_the_menu_in_code() -> None:
    """The 1.5B model took two calls (the whole pizza list re-read) to answer "tenes pizza de rucula?"."""
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("tenes pizza de rucula?")
    assert turn.model_calls == 0 and "Rúcula y jamón crudo" in turn.reply and "$19.400" in turn.reply
    assert "Fugazzeta" not in turn.reply, "only what was asked"
