"""Corrections: the customer changes the order, including after confirming."""

from __future__ import annotations

from pizzeria_agent.demo_policy import demo_policy
from tests.chat import Chat
from tests.pizzeria.helpers import chat_with_order, lines, price
from tools.llm.scripted import Reply, Rule, rules


async def test_change_size_keeps_quantity_and_reprices() -> None:
    chat = await chat_with_order()
    turn = await chat.say("que la muzza sea chica")
    state = await chat.state()
    assert lines(state) == {("muzzarella", "chica", 2), ("fugazzeta", "chica", 1)}
    assert state["current_order"]["total"] == 2 * price("muzzarella", "chica") + price("fugazzeta", "chica")
    assert turn.model_calls == 0


async def test_remove_an_item_and_one_unit() -> None:
    chat = await chat_with_order()
    await chat.say("sacá la fugazzeta")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2)}
    await chat.say("sacá una muzza")
    state = await chat.state()
    assert lines(state) == {("muzzarella", "grande", 1)}
    assert state["current_order"]["total"] == price("muzzarella", "grande")


async def test_removing_something_not_ordered_says_so() -> None:
    chat = await chat_with_order()
    turn = await chat.say("sacá la napolitana")
    assert "No tenés Napolitana" in turn.reply
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}


async def test_back_from_confirmation_to_edit() -> None:
    chat = await chat_with_order()
    await chat.say("eso es todo")
    back = await chat.say("no, quiero cambiar algo")
    state = await chat.state()
    assert state["conversation_phase"] == "TOMANDO_PEDIDO" and back.model_calls == 0
    await chat.say("agregá una coca chica")
    assert ("coca_cola", "500ml", 1) in lines(await chat.state())
    summary = await chat.say("listo")
    assert "Coca-Cola" in summary.reply
    assert (await chat.state())["conversation_phase"] == "CONFIRMANDO_PEDIDO"


async def test_edit_at_confirmation_goes_straight_to_the_order() -> None:
    chat = await chat_with_order()
    await chat.say("eso es todo")
    await chat.say("que la fugazzeta sea grande")
    state = await chat.state()
    assert state["conversation_phase"] == "TOMANDO_PEDIDO"
    assert ("fugazzeta", "grande", 1) in lines(state)


async def test_edit_while_giving_the_address_unconfirms() -> None:
    chat = await chat_with_order()
    await chat.say("eso es todo")
    await chat.say("sí")
    assert (await chat.state())["conversation_phase"] == "RECOGIENDO_DIRECCION"
    await chat.say("ah, agregame un flan")
    state = await chat.state()
    assert state["conversation_phase"] == "TOMANDO_PEDIDO" and state["order_confirmed"] is False
    assert ("flan", "porcion", 1) in lines(state)


CONFIRM_BY_MODEL = rules(
    Rule("confirmation_agent", "mandalo", reply=Reply.call("confirm_order")),
    Rule("confirmation_agent", "pensandolo", reply=Reply.call("request_changes")),
    fallback=demo_policy,
)


async def test_confirmation_specialist_decides_through_tools() -> None:
    chat = await chat_with_order(CONFIRM_BY_MODEL)
    await chat.say("eso es todo")
    turn = await chat.say("bueno mandalo así nomás")
    state = await chat.state()
    assert [c[0] for c in turn.tool_calls] == ["confirm_order"]
    assert state["order_confirmed"] is True and state["conversation_phase"] == "RECOGIENDO_DIRECCION"
    assert "dirección" in turn.reply


async def test_confirmation_specialist_can_send_back_to_edit() -> None:
    chat = await chat_with_order(CONFIRM_BY_MODEL)
    await chat.say("eso es todo")
    await chat.say("mmm pensandolo bien")
    state = await chat.state()
    assert state["conversation_phase"] == "TOMANDO_PEDIDO" and state["order_confirmed"] is False


REPEATED_CALL = rules(
    Rule("order_agent", "muzzas", reply=Reply(calls=[
        ("add_item_to_order", {"item": "muzza", "quantity": 2, "size": "grande"}),
        ("add_item_to_order", {"item": "muzza", "quantity": 2, "size": "grande"}),
    ])),
    fallback=demo_policy,
)


async def test_a_model_repeating_the_same_add_in_one_turn_adds_it_once() -> None:
    chat = await Chat.open(policy=REPEATED_CALL)
    await chat.say("hola, soy Ana")
    await chat.say("quiero dos muzzas grandes")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2)}


async def test_the_same_item_named_twice_is_added_twice() -> None:
    chat = await Chat.open(policy=REPEATED_CALL)
    await chat.say("hola, soy Ana")
    await chat.say("dos muzzas grandes para mí y dos muzzas grandes para mi hermano")
    state = await chat.state()
    assert sum(i["quantity"] for i in state["current_order"]["items"] if i["item_id"] == "muzzarella") == 4
