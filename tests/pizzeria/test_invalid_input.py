"""Invalid input: unknown items, silly quantities, empty or huge messages, bad addresses,
and a model that calls tools that do not exist or loops. Always a clear Spanish reply."""

from __future__ import annotations

import pytest

from pizzeria_agent.demo_policy import demo_policy
from tests.chat import Chat
from tests.pizzeria.helpers import KNOWN, chat_with_order, lines
from tools.llm.replies import TOO_MANY_CALLS
from tools.llm.scripted import Reply, Rule, View, rules
from tools.settings import get_settings


async def test_unknown_item_lists_real_options() -> None:
    chat = await chat_with_order()
    turn = await chat.say("agregá una pizza hawaiana")
    assert "No tenemos" in turn.reply and "Muzzarella" in turn.reply
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}
    assert turn.model_calls == 1


@pytest.mark.parametrize(
    ("said", "expected"),
    [("0 napos", "al menos 1"), ("-2 napos", "al menos 1"), ("menos tres napos", "al menos 1"),
     ("1000000000 napos", "hasta 30"), ("2,5 napos", "enteras"), ("mil napos", "hasta 30")],
)
async def test_bad_quantities_are_refused_with_a_reason(said: str, expected: str) -> None:
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say(f"quiero {said} grandes")
    assert expected in turn.reply
    assert lines(await chat.state()) == set()


@pytest.mark.parametrize("quantity", [0, -2, "-3", 10**9, 2.5, "mil"])
async def test_a_bad_quantity_from_the_model_gives_way_to_the_customers_words(quantity: object) -> None:
    policy = rules(Rule("order_agent", "napo", reply=Reply.call("add_item_to_order", item="napolitana", quantity=quantity, size="grande")),
                   fallback=demo_policy)
    chat = await Chat.open(policy, user_id=KNOWN)
    await chat.say("hola")
    await chat.say("quiero napo, la de siempre")
    assert lines(await chat.state()) == {("napolitana", "grande", 1)}


async def test_drink_without_size_gets_a_question_with_options() -> None:
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("una coca")
    assert "500 ml" in turn.reply and "1,5 L" in turn.reply
    assert lines(await chat.state()) == set()


async def test_empty_message_needs_no_model() -> None:
    chat = await Chat.open(user_id=KNOWN)
    turn = await chat.say("   ")
    assert "No me llegó" in turn.reply and turn.model_calls == 0


async def test_long_message_is_truncated_and_the_customer_told() -> None:
    chat = await chat_with_order()
    turn = await chat.say("una muzza chica " + "bla " * 5000)
    assert "muy largo" in turn.reply
    assert max(v.prompt_chars for v in chat.model.requests[-turn.model_calls:]) < 6000


async def test_done_with_an_empty_order_asks_for_something() -> None:
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("eso es todo")
    assert "Todavía no pediste nada" in turn.reply
    assert (await chat.state())["conversation_phase"] == "TOMANDO_PEDIDO"


async def test_unusable_address_is_asked_again() -> None:
    chat = await chat_with_order()
    await chat.say("eso es todo")
    await chat.say("sí")
    turn = await chat.say("por ahí cerca de la plaza")
    state = await chat.state()
    assert "calle y la altura" in turn.reply
    assert state["address"] is None and state["conversation_phase"] == "RECOGIENDO_DIRECCION"


async def test_markup_in_an_address_is_stripped() -> None:
    chat = await chat_with_order()
    await chat.say("eso es todo")
    await chat.say("sí")
    await chat.say("<script>alert(1)</script>Av. Rivadavia 5000")
    await chat.say("efectivo")
    from tests.chat import saved_orders

    (order,) = saved_orders()
    assert order["address"] == "alert(1) Av. Rivadavia 5000"


async def test_made_up_tool_name_becomes_a_message_not_a_traceback() -> None:
    policy = rules(Rule("order_agent", "juntada", reply=Reply.call("add_pizza", name="muzza")), fallback=demo_policy)
    chat = await Chat.open(policy, user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("quiero algo rico para la juntada")
    tool_answers = [r for v in chat.model.requests for r in v.responses if r[0] == "add_pizza"]
    assert tool_answers and "no existe" in tool_answers[0][1]["error"]
    assert turn.reply  # the model answered the customer after reading the error
    assert (await chat.state())["conversation_phase"] == "TOMANDO_PEDIDO"


def loop(view: View) -> Reply | None:
    """The order specialist calls a made-up tool with a new name each time (never a repeat)."""
    return Reply.call(f"ver_pedido_{len(view.responses)}") if view.agent == "order_agent" else demo_policy(view)


async def test_a_looping_model_is_stopped_by_the_call_cap() -> None:
    chat = await Chat.open(loop, user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("agregá algo rico")
    assert turn.model_calls == get_settings().max_model_calls_per_turn
    assert TOO_MANY_CALLS in turn.reply
    following = await chat.say("hola")  # the next turn works
    assert "¿Qué te gustaría pedir?" in following.reply
