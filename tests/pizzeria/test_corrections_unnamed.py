"""Corrections that do not name the item refer to the last one touched, or the only one."""

from __future__ import annotations

from tests.chat import Chat
from tests.pizzeria.helpers import KNOWN, chat_with_order, lines, saved_items


async def _one(order: str) -> Chat:
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    await chat.say(order)
    return chat


async def test_que_sean_dos() -> None:
    chat = await _one("una fugazzeta grande")
    turn = await chat.say("que sean dos")
    assert lines(await chat.state()) == {("fugazzeta", "grande", 2)}
    assert turn.model_calls == 0


async def test_mejor_hacela_chica_keeps_quantity() -> None:
    chat = await _one("dos calabresas grandes")
    await chat.say("mejor hacela chica")
    assert lines(await chat.state()) == {("calabresa", "chica", 2)}


async def test_la_grande_no_la_chica() -> None:
    chat = await _one("una napo chica")
    await chat.say("la grande, no la chica")
    assert lines(await chat.state()) == {("napolitana", "grande", 1)}


async def test_unnamed_correction_goes_to_the_last_touched_line() -> None:
    chat = await chat_with_order()  # 2 muzzas grandes + 1 fugazzeta chica
    await chat.say("agregame una napo chica")
    await chat.say("mejor mediana")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1), ("napolitana", "mediana", 1)}


async def test_named_correction_keeps_what_was_not_mentioned() -> None:
    chat = await chat_with_order()
    await chat.say("no, eran tres muzzas")
    assert lines(await chat.state()) == {("muzzarella", "grande", 3), ("fugazzeta", "chica", 1)}


async def test_change_that_changes_nothing_is_not_reported_as_a_change() -> None:
    chat = await chat_with_order()
    turn = await chat.say("cambiá la fugazzeta a chica")
    assert "listo, cambié" not in turn.reply.lower()
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}


async def test_correction_at_confirmation_then_save() -> None:
    chat = await Chat.open(user_id="5493415550104")
    for text in ("hola", "una cuatro quesos chica", "eso es todo", "mejor que sea grande", "listo", "si", "si", "efectivo"):
        await chat.say(text)
    assert saved_items() == [[["cuatro_quesos", "grande", 1]]]


async def test_an_unnamed_removal_code_does_not_fully_read_goes_to_the_model() -> None:
    chat = await chat_with_order()
    turn = await chat.say("sacá algo para la juntada")
    assert turn.model_calls >= 1
    assert ("fugazzeta", "chica", 1) in lines(await chat.state()), "code did not guess which line 'algo' meant"


async def test_que_sea_una_sola_sets_the_named_line_to_one() -> None:
    chat = await _one("dos muzzas grandes y una sprite de litro y medio")
    turn = await chat.say("la muzza que sea una sola")
    assert lines(await chat.state()) == {("muzzarella", "grande", 1), ("sprite", "1.5l", 1)}
    assert turn.model_calls == 0
