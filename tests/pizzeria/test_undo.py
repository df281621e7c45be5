"""Undo: "no, dejala como estaba" puts back the order as it was before the last change."""

from __future__ import annotations

from tests.chat import Chat
from tests.pizzeria.helpers import KNOWN, chat_with_order, lines, saved_items


async def test_undo_a_size_change() -> None:
    chat = await chat_with_order()
    await chat.say("que la muzza sea chica")
    await chat.say("no, dejala como estaba")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}


async def test_undo_a_removal() -> None:
    chat = await chat_with_order()
    await chat.say("sacá la fugazzeta")
    await chat.say("nono volve a como estaba antes")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}


async def test_undo_an_add_then_save() -> None:
    chat = await Chat.open(user_id="5491155550102")
    for text in ("hola", "una margarita grande", "agregame un flan", "uh no, deshacé eso", "listo", "si", "si", "efectivo"):
        await chat.say(text)
    assert saved_items() == [[["margarita", "grande", 1]]]


async def test_undo_with_nothing_to_undo_changes_nothing() -> None:
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    await chat.say("dejalo como estaba")
    assert lines(await chat.state()) == set()
