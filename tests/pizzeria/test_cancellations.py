"""Cancellations: "cancelá todo" empties the order in any phase; a new order still works."""

from __future__ import annotations

import pytest

from tests.chat import saved_orders
from tests.pizzeria.helpers import chat_with_order, lines


@pytest.mark.parametrize("steps", [[], ["eso es todo"], ["eso es todo", "sí"]], ids=["taking", "confirming", "address"])
async def test_cancel_everything_in_any_phase(steps: list[str]) -> None:
    chat = await chat_with_order()
    key_before = (await chat.state())["order_key"]
    for step in steps:
        await chat.say(step)
    turn = await chat.say("cancelá todo")
    state = await chat.state()
    assert lines(state) == set() and state["current_order"]["total"] == 0
    assert state["conversation_phase"] == "TOMANDO_PEDIDO" and state["order_confirmed"] is False
    assert state["order_key"] != key_before
    assert "cancelé" in turn.reply and turn.model_calls == 0


async def test_new_order_after_cancelling_is_saved_once() -> None:
    chat = await chat_with_order()
    await chat.say("cancelá todo el pedido")
    await chat.say("una calabresa mediana")
    await chat.say("eso es todo")
    await chat.say("si")
    await chat.say("Mitre 455, Ramos Mejía")
    await chat.say("efectivo")
    (order,) = saved_orders()
    assert [(i["item_id"], i["size"], i["quantity"]) for i in order["items"]] == [("calabresa", "mediana", 1)]


async def test_cancel_one_item_is_not_cancel_everything() -> None:
    chat = await chat_with_order()
    await chat.say("cancelá la fugazzeta")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2)}
