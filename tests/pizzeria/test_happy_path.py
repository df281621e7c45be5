"""Happy paths: a new and a returning customer order start to finish."""

from __future__ import annotations

from pizzeria_agent.demo_policy import demo_policy
from tests.chat import Chat, saved_orders
from tools.llm.scripted import Reply, Rule, rules
from tools.pizzeria.menu import load_menu

MULTI = "dos muzzas grandes y una fugazzeta chica, y una coca de litro y medio"
CHATTY_MULTI = "che para la juntada van " + MULTI
"""Words code does not read ("juntada"): the order specialist's model is asked, and its calls held."""


def price(item_id: str, size: str) -> int:
    return load_menu().item(item_id).prices[size]


EXPECTED_MULTI = {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1), ("coca_cola", "1.5l", 1)}
EXPECTED_MULTI_TOTAL = 2 * price("muzzarella", "grande") + price("fugazzeta", "chica") + price("coca_cola", "1.5l")


def lines(state: dict) -> set[tuple[str, str, int]]:
    return {(i["item_id"], i["size"], i["quantity"]) for i in state["current_order"]["items"]}


async def test_new_customer_orders_start_to_finish() -> None:
    chat = await Chat.open(user_id="5491177770001")
    hello = await chat.say("hola")
    assert "nombre" in hello.reply and hello.model_calls == 0
    assert (await chat.state())["awaiting_user_name"] is True

    named = await chat.say("me llamo Ana")
    state = await chat.state()
    assert state["user_name"] == "Ana" and state["conversation_phase"] == "TOMANDO_PEDIDO"
    assert "Ana" in named.reply

    added = await chat.say(MULTI)
    state = await chat.state()
    assert lines(state) == EXPECTED_MULTI
    assert state["current_order"]["total"] == EXPECTED_MULTI_TOTAL
    assert added.model_calls == 0, "code read every item: no model call"
    assert f"{EXPECTED_MULTI_TOTAL:,}".replace(",", ".") in added.reply

    summary = await chat.say("eso es todo")
    assert (await chat.state())["conversation_phase"] == "CONFIRMANDO_PEDIDO"
    assert "Muzzarella" in summary.reply and summary.model_calls == 0

    await chat.say("sí, confirmo")
    state = await chat.state()
    assert state["order_confirmed"] is True and state["conversation_phase"] == "RECOGIENDO_DIRECCION"

    await chat.say("Av. Corrientes 1234, 5° B")
    assert not saved_orders(), "the payment method is asked before saving"
    done = await chat.say("con transferencia")
    state = await chat.state()
    orders = saved_orders()
    assert len(orders) == 1
    saved = orders[0]
    assert saved["user_id"] == "5491177770001" and saved["customer_name"] == "Ana"
    assert saved["address"] == "Av. Corrientes 1234, 5° B"
    assert saved["total"] == EXPECTED_MULTI_TOTAL and saved["payment_method"] == "transferencia"
    assert {(i["item_id"], i["size"], i["quantity"]) for i in saved["items"]} == EXPECTED_MULTI
    assert f"#{saved['order_id']}" in done.reply
    # Ready for a new order.
    assert state["conversation_phase"] == "TOMANDO_PEDIDO"
    assert state["current_order"]["items"] == [] and state["order_confirmed"] is False
    assert state["last_order_id"] == saved["order_id"]
    assert f"#{saved['order_id']}" in state["last_reply"], "the next turn's context knows what was said"


async def test_returning_customer_is_greeted_by_name_and_offered_saved_address() -> None:
    chat = await Chat.open(user_id="5491155550101")  # Juan Pérez in data/pizzeria/clientes.json
    hello = await chat.say("buenas noches")
    assert "Juan" in hello.reply
    assert (await chat.state())["conversation_phase"] == "TOMANDO_PEDIDO"

    await chat.say("una napo grande")
    await chat.say("nada más")
    ask = await chat.say("dale")
    assert "Corrientes 1234" in ask.reply  # the address on file is offered
    await chat.say("sí, a la misma")
    await chat.say("efectivo")
    (order,) = saved_orders()
    assert order["address"] == "Av. Corrientes 1234, 5° B, CABA"
    assert order["total"] == price("napolitana", "grande")


async def test_returning_customer_can_order_in_the_first_message() -> None:
    chat = await Chat.open(user_id="5491155550102")  # María González
    turn = await chat.say("hola! quiero 2 fugazzetas medianas")
    assert "María" in turn.reply
    assert lines(await chat.state()) == {("fugazzeta", "mediana", 2)}


ONE_CALL_PER_ITEM = rules(
    Rule("order_agent", "muzzas", reply=Reply.call("add_item_to_order", item="muzza", quantity=2, size="grande")),
    Rule("order_agent", "muzzas", after="add_item_to_order",
         reply=lambda view: Reply.call("add_item_to_order", item="fugazzeta", quantity="una", size="chica")
         if len(view.responses) == 1 else Reply.call("add_item_to_order", item="coca", quantity=1, size="litro y medio")),
    fallback=demo_policy,
)
PARALLEL_CALLS = rules(
    Rule("order_agent", "muzzas", reply=Reply(calls=[
        ("add_item_to_order", {"item": "muzzarella", "quantity": "dos", "size": "gde"}),
        ("add_item_to_order", {"item": "fugaza", "quantity": 1, "size": "chica"}),
        ("add_item_to_order", {"item": "coca cola", "quantity": 1, "size": "1,5"}),
    ])),
    fallback=demo_policy,
)
ONE_CALL_WITH_A_LIST = rules(
    Rule("order_agent", "muzzas", reply=Reply.call("add_item_to_order", item=[
        {"item": "muzza", "quantity": 2, "size": "grande"}, "fugazzeta chica", {"name": "coca", "size": "1.5 litros"},
    ])),
    fallback=demo_policy,
)


async def _order_multi(policy) -> tuple[Chat, object]:
    chat = await Chat.open(policy, user_id="5491155550103")  # Carlos, known
    await chat.say("hola")
    turn = await chat.say(CHATTY_MULTI)
    return chat, turn


async def test_one_call_per_item_adds_every_item() -> None:
    chat, turn = await _order_multi(ONE_CALL_PER_ITEM)
    assert lines(await chat.state()) == EXPECTED_MULTI
    # The model added one item; the cross-check added the two it left for later, in the same response.
    assert [c[0] for c in turn.tool_calls] == ["add_item_to_order"] * 3
    assert turn.model_calls == 1


async def test_parallel_calls_add_every_item_in_one_model_call() -> None:
    chat, turn = await _order_multi(PARALLEL_CALLS)
    state = await chat.state()
    assert lines(state) == EXPECTED_MULTI and state["current_order"]["total"] == EXPECTED_MULTI_TOTAL
    assert turn.model_calls == 1
    assert f"{EXPECTED_MULTI_TOTAL:,}".replace(",", ".") in turn.reply


async def test_one_call_with_a_list_adds_every_item() -> None:
    chat, turn = await _order_multi(ONE_CALL_WITH_A_LIST)
    assert lines(await chat.state()) == EXPECTED_MULTI
    assert turn.model_calls == 1


async def test_new_customer_who_skips_the_name_is_not_asked_again() -> None:
    chat = await Chat.open(user_id="5491177770002")
    await chat.say("hola")
    turn = await chat.say("una muzza grande")
    state = await chat.state()
    assert lines(state) == {("muzzarella", "grande", 1)} and "nombre" not in turn.reply
    assert state["awaiting_user_name"] is False and state["conversation_phase"] == "TOMANDO_PEDIDO"
    await chat.say("eso es todo")
    await chat.say("sí")
    await chat.say("Humberto Primo 880")
    await chat.say("mercado pago")
    (order,) = saved_orders()
    assert order["customer_name"] is None and order["user_id"] == "5491177770002"


USER_AGENT_EXTRACTS = rules(
    Rule("user_agent", "de siempre", reply=Reply.call("extract_and_register_name", name="Mónica")),
    fallback=demo_policy,
)


async def test_name_the_rules_cannot_read_goes_to_the_user_specialist() -> None:
    chat = await Chat.open(USER_AGENT_EXTRACTS, user_id="5491177770003")
    await chat.say("hola")
    turn = await chat.say("el de siempre, la Mónica")
    state = await chat.state()
    assert [c[0] for c in turn.tool_calls] == ["extract_and_register_name"]
    assert state["user_name"] == "Mónica" and state["conversation_phase"] == "TOMANDO_PEDIDO"
    assert "Mónica" in turn.reply and turn.model_calls == 1


async def test_a_new_customer_who_comes_to_order_is_asked_the_name_first() -> None:
    chat = await Chat.open(user_id="5491177700013")
    hello = await chat.say("buenas, para pedir")
    named = await chat.say("Romina")
    assert "nombre" in hello.reply and "No tenemos" not in hello.reply and hello.model_calls == 0
    state = await chat.state()
    assert state["user_name"] == "Romina" and named.model_calls == 0 and "Romina" in named.reply
