"""Checkout: the payment method is asked before saving and stored with the order; the delivery fee of the
zone the address names is added to the total by code, and the zone's minimum is enforced."""

from __future__ import annotations

from pizzeria_agent.demo_policy import demo_policy
from tests.chat import Chat, saved_orders
from tests.pizzeria.helpers import KNOWN, chat_with_order, lines, price
from tools.llm.scripted import Reply, Rule, rules
from tools.pizzeria.business import load_business


def _zone(barrio: str):
    return next(z for z in load_business().delivery_zones if z.barrio == barrio)


async def _to_address(order: str = "dos muzzas grandes y una fugazzeta chica"):
    chat = await chat_with_order(order=order)
    await chat.say("eso es todo")
    await chat.say("si")
    return chat


async def test_nothing_is_saved_until_the_payment_method_is_given() -> None:
    chat = await _to_address()
    turn = await chat.say("Av Cabildo 2040 3ro B")
    assert saved_orders() == [] and turn.model_calls == 0
    await chat.say("pago cash")
    (order,) = saved_orders()
    assert order["payment_method"] == "efectivo" and order["delivery_fee"] == 0


async def test_a_payment_method_with_the_yes_is_not_asked_again() -> None:
    chat = await chat_with_order(order="una napo grande")
    await chat.say("nada mas")
    await chat.say("si, pago con transfe")
    await chat.say("Gurruchaga 1200")
    (order,) = saved_orders()
    assert order["payment_method"] == "transferencia"


async def test_address_and_payment_in_one_message() -> None:
    chat = await _to_address()
    await chat.say("Gorriti 4500 PB, Palermo y pago con mercado pago")
    (order,) = saved_orders()
    items = 2 * price("muzzarella", "grande") + price("fugazzeta", "chica")
    assert order["address"] == "Gorriti 4500 PB, Palermo" and order["payment_method"] == "Mercado Pago"
    assert order["zone"] == "Palermo" and order["delivery_fee"] == _zone("Palermo").fee
    assert order["total"] == items + _zone("Palermo").fee


async def test_an_order_under_the_zones_minimum_goes_back_to_ordering() -> None:
    chat = await _to_address(order="una empanada de carne")
    await chat.say("Cabildo 2040, Belgrano")
    state = await chat.state()
    assert saved_orders() == [] and state["conversation_phase"] == "TOMANDO_PEDIDO" and state["order_confirmed"] is False
    await chat.say("agregame una muzza grande")
    for text in ("listo", "si", "si, a esa", "tarjeta"):
        await chat.say(text)
    (order,) = saved_orders()
    items = price("empanada_carne", "unidad") + price("muzzarella", "grande")
    assert items >= _zone("Belgrano").minimum
    assert order["address"] == "Cabildo 2040, Belgrano" and order["total"] == items + _zone("Belgrano").fee


async def test_an_unknown_payment_method_is_asked_again() -> None:
    chat = await _to_address()
    await chat.say("Lavalle 1234")
    await chat.say("con bitcoin")
    state = await chat.state()
    assert saved_orders() == [] and state["payment_method"] is None and state["address"] == "Lavalle 1234"
    await chat.say("bueno efectivo")
    assert len(saved_orders()) == 1


async def test_adding_something_when_asked_to_pay_goes_back_to_the_order() -> None:
    chat = await _to_address()
    await chat.say("Lavalle 1234")
    await chat.say("ah y agregame una coca chica")
    state = await chat.state()
    assert saved_orders() == [] and state["conversation_phase"] == "TOMANDO_PEDIDO"
    assert ("coca_cola", "500ml", 1) in lines(state)


async def test_a_payment_method_given_before_the_address_is_kept_and_the_address_asked() -> None:
    chat = await _to_address()
    question = await chat.say("se puede pagar con transferencia?")
    assert "DONCARLO.PIZZA" in question.reply and (await chat.state())["payment_method"] is None
    turn = await chat.say("transferencia")
    state = await chat.state()
    assert turn.model_calls == 0 and state["payment_method"] == "transferencia" and state["conversation_phase"] == "RECOGIENDO_DIRECCION"
    assert "dirección" in turn.reply
    await chat.say("Thames 1500, 2do A, Palermo")
    (order,) = saved_orders()
    assert order["payment_method"] == "transferencia" and order["address"] == "Thames 1500, 2do A, Palermo"


async def test_an_address_said_with_other_words_is_saved_as_the_address() -> None:
    chat = await _to_address()
    await chat.say("no, mandalo a Thames 1500, Palermo")
    await chat.say("efectivo")
    (order,) = saved_orders()
    assert order["address"] == "Thames 1500, Palermo"


async def test_payment_words_naming_no_method_before_the_address_are_answered_from_data() -> None:
    chat = await _to_address()
    turn = await chat.say("pago al recibir")
    assert turn.model_calls == 0 and "Podés pagar con" in turn.reply


async def test_an_address_the_customer_never_wrote_is_not_saved() -> None:
    """A real 1.5B model saved the tool docstring's example ("Av. Corrientes 1234, 5° B") on "genial gracias!"."""
    invented = Rule("address_agent", ".*", reply=Reply.call("save_address", address="Av. Corrientes 1234, 5° B"))
    chat = await Chat.open(rules(invented, fallback=demo_policy), user_id=KNOWN)
    for text in ("hola", "una fugazzeta chica", "eso es todo", "si"):
        await chat.say(text)
    turn = await chat.say("mandala donde siempre la mando yo a mi vieja")
    state = await chat.state()
    assert state["address"] is None and state["conversation_phase"] == "RECOGIENDO_DIRECCION"
    assert "Anoté" not in turn.reply and "la calle y la altura" in turn.reply


async def test_an_address_the_model_saved_is_noted_once() -> None:
    saves = Rule("address_agent", ".*", reply=Reply.call("save_address", address="Thames 1500"))
    chat = await Chat.open(rules(saves, fallback=demo_policy), user_id=KNOWN)
    for text in ("hola", "una fugazzeta chica", "eso es todo", "si"):
        await chat.say(text)
    turn = await chat.say("mirá te cuento que hoy estoy en lo de mi vieja así que es ahí, en thames 1500, tocá timbre fuerte "
                          "porque el portero anda mal y no se escucha nada de nada che, y si no atiende nadie llamame al celu que bajo")  # long: the model reads it
    assert (await chat.state())["address"] == "Thames 1500"
    assert turn.reply.count("Anoté la dirección") == 1 and "pagar" in turn.reply


async def test_the_address_step_keeps_the_address_not_the_chat_around_it() -> None:
    chat = await chat_with_order(order="una fugazzeta grande")
    for text in ("eso es todo", "si"):
        await chat.say(text)
    await chat.say("uh mandala a lo de mi vieja en Thames 1500 dale")
    assert (await chat.state())["address"] == "Thames 1500"
