"""The order specialist's calls held against the customer's words: the words win where they disagree.

Each message has a word code does not read ("juntada", "finde"), so the model is asked and its calls checked."""

from __future__ import annotations

from pizzeria_agent.demo_policy import demo_policy
from tests.chat import Chat
from tests.pizzeria.helpers import KNOWN, lines
from tools.llm.scripted import Reply, Rule, rules


async def _chat(*calls: tuple[str, dict]) -> Chat:
    model = rules(Rule("order_agent", "juntada|finde", reply=Reply(calls=list(calls))), fallback=demo_policy)
    chat = await Chat.open(model, user_id=KNOWN)
    await chat.say("hola")
    return chat


async def test_a_size_the_model_left_out_is_the_customers() -> None:
    chat = await _chat(("add_item_to_order", {"item": "fugazzeta"}))
    await chat.say("y una fugazzeta chica para la juntada")
    assert lines(await chat.state()) == {("fugazzeta", "chica", 1)}


async def test_an_item_nobody_named_is_not_added() -> None:
    chat = await _chat(("add_item_to_order", {"item": "muzza", "quantity": 2, "size": "grande"}),
                       ("add_item_to_order", {"item": "coca", "size": "1,5 L"}))
    await chat.say("dos muzzas grandes para la juntada")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2)}


async def test_an_item_named_twice_is_two_lines() -> None:
    chat = await _chat(("add_item_to_order", {"item": "muzza", "size": "grande"}))
    await chat.say("una muzza grande y una muzza chica para el finde")
    assert lines(await chat.state()) == {("muzzarella", "grande", 1), ("muzzarella", "chica", 1)}


async def test_a_quantity_the_model_misread_is_the_customers() -> None:
    chat = await _chat(("add_item_to_order", {"item": "empanada de carne", "quantity": 12}))
    await chat.say("tres de carne para la juntada")
    assert lines(await chat.state()) == {("empanada_carne", "unidad", 3)}


async def test_a_question_adds_nothing_no_call_adds() -> None:
    model = rules(Rule("order_agent", "juntada", reply=Reply.say("La muzza sale $13.900 la grande.")), fallback=demo_policy)
    chat = await Chat.open(model, user_id=KNOWN)
    await chat.say("hola")
    await chat.say("una muzza para la juntada alcanza?")
    assert lines(await chat.state()) == set()


async def test_a_quantity_change_keeps_the_size() -> None:
    chat = await _chat(("change_item", {"item": "napo", "quantity": 3, "size": "grande"}))
    await chat.say("dos napos chicas")
    await chat.say("cambiá las napos, que sean 3 para el finde")
    assert lines(await chat.state()) == {("napolitana", "chica", 3)}
