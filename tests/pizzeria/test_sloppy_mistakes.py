"""The mistakes a real small model makes in order calls (eval/sloppy.py's pizzeria kinds), each absorbed by
the cross-check. Every message has a word code does not read ("juntada", "pedazos"), so the model is asked."""

from __future__ import annotations

from eval.sloppy import SloppyPolicy
from pizzeria_agent.demo_policy import demo_policy
from tests.chat import Chat
from tests.pizzeria.helpers import KNOWN, lines
from tools.llm.scripted import Reply, Rule, rules


async def _sloppy(kind: str, policy=demo_policy) -> Chat:
    sloppy = SloppyPolicy(policy, seed=7, rate=1.0, kinds=(kind,))
    chat = await Chat.open(sloppy, user_id=KNOWN)
    chat.sloppy = sloppy  # type: ignore[attr-defined]
    await chat.say("hola")
    return chat


def _hit(chat: Chat, kind: str) -> None:
    assert any(p.kind == kind for p in chat.sloppy.perturbations), f"the model made the {kind} mistake"  # type: ignore[attr-defined]


async def test_quantity_from_a_number_inside_the_name() -> None:
    model = rules(Rule("order_agent", "juntada", reply=Reply.call("add_item_to_order", item="cuatro quesos", size="chica")),
                  fallback=demo_policy)
    chat = await _sloppy("name_number", model)
    await chat.say("che mandame una cuatro quesos chica para la juntada")
    _hit(chat, "name_number")
    assert lines(await chat.state()) == {("cuatro_quesos", "chica", 1)}


async def test_a_duplicate_add_under_another_spelling_is_one_line() -> None:
    chat = await _sloppy("duplicate_spelling")
    await chat.say("dos muzzas grandes para la juntada")
    _hit(chat, "duplicate_spelling")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2)}


async def test_one_item_of_two_left_out_is_added_by_code() -> None:
    chat = await _sloppy("left_out")
    turn = await chat.say("dos muzzas grandes y una fugazzeta chica para la juntada")
    _hit(chat, "left_out")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}
    assert "Muzzarella" in turn.reply and "Fugazzeta" in turn.reply, "the closing message reports every add"


async def test_a_default_quantity_on_a_size_change_keeps_the_quantity() -> None:
    model = rules(Rule("order_agent", "pedazos", reply=Reply.call("change_item", item="calabresa", size="chica")),
                  fallback=demo_policy)
    chat = await _sloppy("default_quantity", model)
    await chat.say("dos calabresas grandes")
    await chat.say("cambiá la calabresa a la de 4 pedazos")
    _hit(chat, "default_quantity")
    assert lines(await chat.state()) == {("calabresa", "chica", 2)}


async def test_a_text_answer_where_the_add_was_due_is_made_by_code() -> None:
    chat = await _sloppy("text_only")
    turn = await chat.say("una napo mediana para la juntada")
    _hit(chat, "text_only")
    assert lines(await chat.state()) == {("napolitana", "mediana", 1)}
    assert "Listo, ya lo anoté" not in turn.reply and "agregado 👍" not in turn.reply
