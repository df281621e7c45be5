"""Code reads the customer first: where the words settle the action, no model call stands in between."""

from __future__ import annotations

from pizzeria_agent.demo_policy import demo_policy
from tests.chat import Chat, saved_orders
from tests.pizzeria.helpers import KNOWN, lines, saved_items
from tools.llm.scripted import Reply, Rule, rules

NEW = "5491177700021"
TEXT_ONLY = rules(Rule(".*", ".*", reply=Reply.say("¡Listo! Ya quedó.")))
"""A model that never calls a tool: whatever code does not do itself is not done."""


async def test_name_and_order_in_the_first_message_keeps_the_order() -> None:
    chat = await Chat.open(user_id=NEW)
    turn = await chat.say("hola, soy Ana. quiero dos muzzas grandes")
    state = await chat.state()
    assert state["user_name"] == "Ana"
    assert lines(state) == {("muzzarella", "grande", 2)}
    assert turn.model_calls == 0


async def test_items_the_resolver_reads_are_added_without_the_model() -> None:
    chat = await Chat.open(TEXT_ONLY, user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("dame dos muzzas grandes y una fugazzeta chica porfa")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}
    assert turn.model_calls == 0
    assert "Muzzarella" in turn.reply and "Fugazzeta" in turn.reply, "every add is reported"


async def test_a_whole_order_saves_with_a_model_that_never_calls_tools() -> None:
    chat = await Chat.open(TEXT_ONLY, user_id=KNOWN)
    for text in ("buenas", "una napo mediana y 2 cocas de litro y medio", "eso es todo", "si", "Mitre 455, Quilmes", "efectivo"):
        await chat.say(text)
    assert saved_items() == [[["coca_cola", "1.5l", 2], ["napolitana", "mediana", 1]]]


async def test_an_address_is_saved_with_no_model_call() -> None:
    chat = await Chat.open(user_id=KNOWN)
    for text in ("hola", "una muzza grande", "listo", "dale"):
        await chat.say(text)
    turn = await chat.say("Belgrano 1500 2do A")
    paid = await chat.say("en efectivo")
    assert turn.model_calls == paid.model_calls == 0
    (order,) = saved_orders()
    assert order["address"] == "Belgrano 1500 2do A"
    assert (await chat.state())["conversation_phase"] == "TOMANDO_PEDIDO"


async def test_a_size_added_in_a_second_message_is_kept() -> None:
    chat = await Chat.open(rules(Rule("order_agent", "fugazzeta", reply=Reply.call("add_item_to_order", item="fugazzeta")),
                                 fallback=demo_policy), user_id=KNOWN)
    await chat.say("hola")
    await chat.say("quiero una muzza grande")
    await chat.say("y una fugazzeta chica")
    assert lines(await chat.state()) == {("muzzarella", "grande", 1), ("fugazzeta", "chica", 1)}


async def test_birra_quilmes_is_one_beer() -> None:
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    await chat.say("una muzza grande y una birra quilmes")
    assert lines(await chat.state()) == {("muzzarella", "grande", 1), ("cerveza_quilmes", "1l", 1)}


async def test_an_address_in_the_first_message_is_kept_for_the_address_step() -> None:
    chat = await Chat.open(user_id=KNOWN)
    for text in ("hola, quiero una calabresa grande, mandala a Av Cabildo 2040 3ro B", "eso es todo", "si", "si", "efectivo"):
        await chat.say(text)
    (order,) = saved_orders()
    assert order["address"] == "Av Cabildo 2040 3ro B"
    assert [[l["item_id"], l["size"], l["quantity"]] for l in order["items"]] == [["calabresa", "grande", 1]]


async def test_an_address_while_ordering_is_kept() -> None:
    chat = await Chat.open(user_id=KNOWN)
    for text in ("hola", "dos empanadas de carne", "es para Thames 1800 PB", "nada mas", "si", "si", "efectivo"):
        await chat.say(text)
    (order,) = saved_orders()
    assert order["address"] == "Thames 1800 PB"


async def test_a_clear_yes_confirms_with_no_model_call() -> None:
    chat = await Chat.open(TEXT_ONLY, user_id=KNOWN)
    for text in ("hola", "una fugazzeta grande", "nada mas"):
        await chat.say(text)
    turn = await chat.say("si, dale")
    state = await chat.state()
    assert state["order_confirmed"] is True and state["conversation_phase"] == "RECOGIENDO_DIRECCION"
    assert turn.model_calls == 0
