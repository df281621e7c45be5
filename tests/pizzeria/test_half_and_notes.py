"""Half-and-half pizzas (priced as the dearer half) and line notes stay on the line, in the summary and in the saved order."""

from __future__ import annotations

from tests.chat import saved_orders
from tests.pizzeria.helpers import chat_with_order, price


def _items(state: dict) -> list[dict]:
    return state["current_order"]["items"]


async def test_half_and_half_is_one_pizza_priced_as_the_dearer_half() -> None:
    chat = await chat_with_order(order="una grande mitad muzza mitad napo")
    (line,) = _items(await chat.state())
    assert line["halves"] == ["muzzarella", "napolitana"] and line["quantity"] == 1 and line["size"] == "grande"
    assert line["subtotal"] == max(price("muzzarella", "grande"), price("napolitana", "grande"))
    summary = await chat.say("eso es todo")
    assert "Mitad Muzzarella y mitad Napolitana" in summary.reply


async def test_half_and_half_with_media_and_other_items_in_one_message() -> None:
    chat = await chat_with_order(order="media fuga media calabresa chica y 3 empanadas de carne")
    items = _items(await chat.state())
    assert [(i["halves"], i["size"], i["quantity"]) for i in items] == [
        (["fugazzeta", "calabresa"], "chica", 1), (None, "unidad", 3)]


async def test_notes_stay_on_their_line_and_are_saved() -> None:
    chat = await chat_with_order(order="una muzza grande sin aceitunas bien cocida y una coca chica")
    items = _items(await chat.state())
    assert {(i["item_id"], i["note"]) for i in items} == {("muzzarella", "sin aceitunas, bien cocida"), ("coca_cola", None)}
    summary = await chat.say("listo")
    assert "sin aceitunas, bien cocida" in summary.reply
    for text in ("si", "Lavalle 300", "efectivo"):
        await chat.say(text)
    (order,) = saved_orders()
    assert [i["note"] for i in order["items"] if i["item_id"] == "muzzarella"] == ["sin aceitunas, bien cocida"]


async def test_a_note_is_not_an_item_or_a_removal() -> None:
    chat = await chat_with_order(order="una napo mediana sin ajo")
    items = _items(await chat.state())
    assert [(i["item_id"], i["size"], i["note"]) for i in items] == [("napolitana", "mediana", "sin ajo")]


async def test_the_same_pizza_with_and_without_a_note_are_two_lines() -> None:
    chat = await chat_with_order(order="una muzza grande")
    await chat.say("y otra muzza grande sin aceitunas")
    items = _items(await chat.state())
    assert sorted((i["item_id"], i["quantity"], i["note"] or "") for i in items) == [
        ("muzzarella", 1, ""), ("muzzarella", 1, "sin aceitunas")]


async def test_a_note_and_a_half_and_half_are_read_without_the_model() -> None:
    chat = await chat_with_order(order="hola")
    noted = await chat.say("una muzza grande sin aceitunas")
    halves = await chat.say("y una grande mitad muzza mitad napo")
    assert noted.model_calls == halves.model_calls == 0
    items = _items(await chat.state())
    assert [(i["item_id"], i.get("note"), i.get("halves")) for i in items] == [
        ("muzzarella", "sin aceitunas", None), ("napolitana", None, ["muzzarella", "napolitana"])]


async def test_a_note_on_the_pizza_already_ordered_goes_on_its_line() -> None:
    chat = await chat_with_order(order="una calabresa grande")
    turn = await chat.say("ah, la calabresa sin aceitunas")
    (line,) = _items(await chat.state())
    assert (line["item_id"], line["quantity"], line["note"]) == ("calabresa", 1, "sin aceitunas")
    assert turn.model_calls == 0 and "sin aceitunas" in turn.reply


async def test_half_a_dozen_of_each_is_not_a_half_and_half() -> None:
    chat = await chat_with_order(order="media docena de empanadas de carne y media de pollo")
    items = _items(await chat.state())
    assert [(i["item_id"], i["size"], i["quantity"], i.get("halves")) for i in items] == [
        ("empanada_carne", "unidad", 6, None), ("empanada_pollo", "unidad", 6, None)]
