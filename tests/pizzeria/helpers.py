"""Small helpers shared by the pizzeria conversation tests."""

from __future__ import annotations

from tests.chat import Chat
from tools.pizzeria.menu import load_menu

KNOWN = "5491155550103"  # Carlos Rodríguez, seeded, no address on file


def price(item_id: str, size: str) -> int:
    return load_menu().item(item_id).prices[size]


def lines(state: dict) -> set[tuple[str, str, int]]:
    return {(i["item_id"], i["size"], i["quantity"]) for i in state["current_order"]["items"]}


async def chat_with_order(policy=None, user_id: str = KNOWN, order: str = "dos muzzas grandes y una fugazzeta chica") -> Chat:
    chat = await Chat.open(policy, user_id=user_id)
    await chat.say("hola")
    await chat.say(order)
    return chat


def saved_items() -> list[list[list]]:
    """Every saved order's items as sorted [item_id, size, quantity] rows."""
    from tests.chat import saved_orders

    return [sorted([i["item_id"], i["size"], i["quantity"]] for i in order["items"]) for order in saved_orders()]
