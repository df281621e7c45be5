"""Swaps and partial removals, as customers write them; each checks the order, not the wording."""

from __future__ import annotations

from tests.chat import Chat
from tests.pizzeria.helpers import KNOWN, chat_with_order, lines, saved_items


async def test_swap_one_pizza_for_another_keeps_its_size() -> None:
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    await chat.say("una napo chica y una coca de litro y medio")
    await chat.say("cambiá la napo por una de jamón")
    assert lines(await chat.state()) == {("jamon_y_morrones", "chica", 1), ("coca_cola", "1.5l", 1)}


async def test_swap_with_en_vez_de_and_no_accents() -> None:
    chat = await chat_with_order()
    await chat.say("en vez de la fugazzeta poneme una calabresa")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("calabresa", "chica", 1)}


async def test_swap_keeps_quantity_and_takes_a_new_size() -> None:
    chat = await chat_with_order()
    await chat.say("cambia las muzzas x dos napolitanas medianas")
    assert lines(await chat.state()) == {("napolitana", "mediana", 2), ("fugazzeta", "chica", 1)}


async def test_swap_of_something_not_ordered_changes_nothing() -> None:
    chat = await chat_with_order()
    turn = await chat.say("cambiame la calabresa por una margarita")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}
    assert "listo, cambié" not in turn.reply.lower()


async def test_remove_one_of_the_two() -> None:
    chat = await chat_with_order()
    await chat.say("sacá una de las dos")
    assert lines(await chat.state()) == {("muzzarella", "grande", 1), ("fugazzeta", "chica", 1)}


async def test_remove_one_of_two_muzzas_by_name_typo() -> None:
    chat = await chat_with_order()
    await chat.say("sacame una muza")
    assert lines(await chat.state()) == {("muzzarella", "grande", 1), ("fugazzeta", "chica", 1)}


async def test_remove_the_last_one_without_naming_it() -> None:
    chat = await Chat.open(user_id=KNOWN)
    for text in ("hola", "una muzza grande", "y 3 empanadas de pollo", "mejor sacalas"):
        await chat.say(text)
    assert lines(await chat.state()) == {("muzzarella", "grande", 1)}


async def test_swap_then_finish_saves_the_swapped_order() -> None:
    chat = await Chat.open(user_id="5491155550101")
    for text in ("holaa quiero una napo grande y dos birras", "cambiá la napo por una fugazzeta", "nada mas", "si", "si a la misma", "con tarjeta"):
        await chat.say(text)
    assert saved_items() == [[["cerveza_quilmes", "1l", 2], ["fugazzeta", "grande", 1]]]


async def test_removing_a_negative_number_changes_nothing_and_says_why() -> None:
    chat = await chat_with_order()
    turn = await chat.say("sacá -2 muzzas")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}
    assert "al menos 1" in turn.reply and "saqué" not in turn.reply


async def test_removing_half_a_pizza_changes_nothing_and_says_why() -> None:
    chat = await chat_with_order()
    turn = await chat.say("sacá media fugazzeta")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}
    assert "enteras" in turn.reply and "saqué" not in turn.reply


async def test_remove_one_of_the_two_named() -> None:
    chat = await chat_with_order(order="dos muzzas grandes y una napo chica")
    await chat.say("saca una de las dos muzzas")
    assert lines(await chat.state()) == {("muzzarella", "grande", 1), ("napolitana", "chica", 1)}


async def test_swap_with_en_vez_del() -> None:
    chat = await chat_with_order(order="una muzza chica y un flan")
    turn = await chat.say("mejor un tiramisu en vez del flan")
    assert lines(await chat.state()) == {("muzzarella", "chica", 1), ("tiramisu", "porcion", 1)}
    assert turn.model_calls == 0


async def test_cambiala_por_swaps_the_last_line_keeping_its_size() -> None:
    chat = await chat_with_order(order="una fugazzeta mediana")
    turn = await chat.say("cambiala por una calabresa")
    assert lines(await chat.state()) == {("calabresa", "mediana", 1)}
    assert turn.model_calls == 0
