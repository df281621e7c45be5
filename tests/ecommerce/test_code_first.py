"""What a real small model did to the shop, absorbed: each conversation scripts the model's mistake
(tools/llm/scripted.py) and checks what the customer got and what the database holds.

- A tool's message is the whole answer: no second model call re-reads the results.
- Code reads the customer first: an order number, "mis pedidos", a coupon code, SKUs settle
  the call with no model call; a coupon is redeemed only when the customer asked to use it;
  price filters are the customer's, in pesos; a customer is never offered the staff tool.
- Greetings, thanks and farewells get a fixed reply in any phase, after a release too.
- The prompt's fixed part is the same bytes on every call; the turn's context is in the user turn.
"""

from __future__ import annotations

import re

from google.adk.tools import FunctionTool
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ecommerce_agent.agent import TOOLS
from ecommerce_agent.demo_policy import demo_policy
from ecommerce_agent.specialists import Specialist
from tests.ecommerce.test_conversations import C0001, C0003, STAFF, ShopChat
from tools.llm import handoff
from tools.llm.replies import TOO_MANY_CALLS
from tools.llm.scripted import Reply, Rule, rules
from tools.shop import replies
from tools.shop.schema import coupon_redemptions, promotions, support_tickets

STRANGER = "5491199999999"


async def redeemed(engine: AsyncEngine, customer_id: str) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(
            select(promotions.c.code).join(coupon_redemptions, coupon_redemptions.c.promotion_id == promotions.c.id)
            .where(coupon_redemptions.c.customer_id == customer_id)
        )).scalars())


async def tickets(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(support_tickets))).scalar_one()


def always(agent: str, reply: Reply) -> Rule:
    """`agent`'s model makes this call every time it is asked, even after the tool answered (a looping model)."""
    return Rule(agent, reply=reply)


# --------------------------------------------------------------------------- the tool's message ends the turn


async def test_a_help_search_is_one_model_call_however_often_the_model_would_repeat_it(shop: AsyncEngine) -> None:
    looping = rules(always("support_agent", Reply.call("search_help", query="notebook no prende")))
    chat = await ShopChat.open(C0001, looping)
    reply, calls, _ = await chat.say("mi notebook no prende, que hago?")
    assert len(chat.model.requests) == 1 and calls == [("search_help", {"query": "notebook no prende"})]
    assert TOO_MANY_CALLS not in reply and reply == chat.responses[0][1]["message"]


async def test_a_product_search_is_answered_by_its_message_with_no_second_call(shop: AsyncEngine) -> None:
    chat = await ShopChat.open(C0003)
    reply, calls, _ = await chat.say("tienen notebook gamer con rtx 4060 hasta 3 millones?")
    assert [name for name, _ in calls] == ["search_catalog"] and len(chat.model.requests) == 1
    assert reply.startswith("Encontré") and reply == chat.responses[0][1]["message"]


# --------------------------------------------------------------------------- code reads the customer first


async def test_orders_and_invoices_the_words_settle_cost_no_model_call(shop: AsyncEngine) -> None:
    chat = await ShopChat.open(C0001)
    listed, calls, _ = await chat.say("quiero ver mis pedidos")
    assert calls == [("my_recent_orders", {})] and "4581230" in listed
    invoiced, calls, _ = await chat.say("necesito la factura del pedido 4581233")
    assert calls == [("request_invoice", {"order_number": "4581233"})] and "4581233" in invoiced
    assert chat.model.requests == []


async def test_a_customer_is_never_offered_the_staff_tool(shop: AsyncEngine) -> None:
    customer = await ShopChat.open(C0001)
    await customer.say("cuando llega lo que compre?")
    [view] = customer.model.requests
    assert view.agent == "tracking_agent" and set(view.tools) == {"track_order", "my_recent_orders"}
    assert "lookup_any_order" not in view.prompt_text and "personal de soporte" not in view.prompt_text
    staff = await ShopChat.open(STAFF)
    await staff.say("cuando llega lo que compre?")
    assert "lookup_any_order" in staff.model.requests[0].tools


async def test_a_staff_tool_a_customers_model_picks_becomes_the_customers_own(shop: AsyncEngine) -> None:
    picks_staff_tool = rules(always("tracking_agent", Reply.call("lookup_any_order", order_number="4581231")), fallback=demo_policy)
    chat = await ShopChat.open(C0001, picks_staff_tool)
    reply, calls, _ = await chat.say("cuando llega lo que compre?")
    assert calls == [("my_recent_orders", {})], "held against the customer's words: no number, their own orders"
    assert "4581230" in reply and "4581231" not in reply and replies.STAFF_ONLY_REFUSAL not in reply


async def test_asking_about_promotions_never_redeems_a_coupon(shop: AsyncEngine) -> None:
    redeems = rules(always("promotions_agent", Reply.call("redeem_coupon_code", code="BIENVENIDA10")), fallback=demo_policy)
    chat = await ShopChat.open(C0001, redeems)
    reply, calls, _ = await chat.say("hay promos en auriculares?")
    assert calls == [("my_promotions", {})] and reply.startswith("Tu nivel")
    assert await redeemed(shop, "C0001") == []


async def test_asking_whether_a_coupon_can_be_used_offers_it_and_a_yes_applies_it(shop: AsyncEngine) -> None:
    redeems = rules(always("promotions_agent", Reply.call("redeem_coupon_code", code="HOTSALE15")), fallback=demo_policy)
    chat = await ShopChat.open(C0001, redeems)
    asked, calls, _ = await chat.say("¿puedo usar el cupón HOTSALE15?")
    assert calls == [("my_promotions", {"code": "HOTSALE15"})] and "HOTSALE15" in asked and "¿Querés que lo aplique" in asked
    assert await redeemed(shop, "C0001") == []
    applied, calls, _ = await chat.say("dale")
    assert calls == [("redeem_coupon_code", {"code": "HOTSALE15"})] and "Aplicamos el cupón HOTSALE15" in applied
    assert await redeemed(shop, "C0001") == ["HOTSALE15"]
    assert chat.model.requests == []
    await chat.say("dale")
    assert await redeemed(shop, "C0001") == ["HOTSALE15"], "the offer is answered once"


async def test_a_coupon_the_customer_asks_to_use_is_redeemed_with_no_model_call(shop: AsyncEngine) -> None:
    chat = await ShopChat.open(C0001)
    reply, calls, _ = await chat.say("aplicame el cupon BIENVENIDA10 porfa")
    assert calls == [("redeem_coupon_code", {"code": "BIENVENIDA10"})] and "BIENVENIDA10" in reply
    assert chat.model.requests == [] and await redeemed(shop, "C0001") == ["BIENVENIDA10"]


async def test_dollars_are_never_used_as_pesos(shop: AsyncEngine) -> None:
    sloppy = rules(Rule("product_agent", reply=Reply.call("search_catalog", query="auriculares bluetooth", min_price="1500")))
    chat = await ShopChat.open(C0001, sloppy)
    reply, _, _ = await chat.say("busco auriculares bluetooth por menos de 1500 dólares")
    [(_, found)] = chat.responses
    assert reply.startswith(replies.PRICES_IN_PESOS) and found["filters"] == {} and found["products"]


async def test_menos_de_is_the_customers_maximum_whatever_the_model_sends(shop: AsyncEngine) -> None:
    sloppy = rules(Rule("product_agent", reply=Reply.call("search_catalog", query="notebook", min_price="1500", brand="Apple")))
    chat = await ShopChat.open(C0001, sloppy)
    await chat.say("una notebook lenovo por menos de 1.500 lucas")
    [(_, found)] = chat.responses
    assert found["filters"] == {"max_price": "$1.500.000", "brand": "Lenovo"} and found["products"]
    assert all(p["price_cents"] <= 1_500_000_00 and p["brand"] == "Lenovo" for p in found["products"])


async def test_a_session_that_may_use_none_of_the_specialists_tools_is_told_with_no_model_call(shop: AsyncEngine) -> None:
    chat = await ShopChat.open(STRANGER)
    reply, calls, _ = await chat.say("que promos tengo?")
    assert reply == replies.NOT_IDENTIFIED_REFUSAL and calls == [] and chat.model.requests == []


# --------------------------------------------------------------------------- small talk


async def test_thanks_after_a_release_is_a_fixed_reply_never_a_ticket(shop: AsyncEngine) -> None:
    opens_tickets = rules(always("support_agent", Reply.call("open_support_ticket", subject="gracias")), fallback=demo_policy)
    chat = await ShopChat.open(C0001, opens_tickets)
    await chat.say("quiero hablar con una persona")
    await handoff.release(chat.runner.session_service, "ecommerce_agent", C0001, chat.session_id)
    before = await tickets(shop)
    for text, reply in [("gracias", replies.THANKS), ("¡muchas gracias!! 🙌", replies.THANKS), ("gracias, chau", replies.FAREWELL),
                        ("buenas tardes", replies.GREETING), ("ok, nos vemos", replies.FAREWELL)]:
        said, calls, _ = await chat.say(text)
        assert (said, calls) == (reply, []), text
    assert await tickets(shop) == before and chat.model.requests == []
    _, calls, _ = await chat.say("hola, donde esta mi pedido 4581230?")
    assert calls == [("track_order", {"order_number": "4581230"})], "a greeting with a question is not small talk"


# --------------------------------------------------------------------------- the prompt's layout


async def test_the_fixed_part_of_a_specialists_prompt_is_the_same_bytes_on_every_turn(shop: AsyncEngine) -> None:
    chat = await ShopChat.open(C0001)
    await chat.say("tienen notebook gamer con rtx 4060 hasta 3 millones?")
    await chat.say("y algun celular samsung hasta 800 mil?")
    first, second = chat.model.requests
    assert first.system == second.system and "Encontré" not in second.system, "no state in the system instruction"
    fixed = first.prompt_text.index("tienen notebook")
    assert second.prompt_text[:fixed] == first.prompt_text[:fixed].replace("tienen notebook", "")[:fixed]
    assert "Tu mensaje anterior al cliente" in second.prompt_text[fixed:]
    assert second.user_text == "y algun celular samsung hasta 800 mil?"


def test_tool_docstrings_are_short_prompts() -> None:
    for specialist in Specialist:
        for fn in TOOLS[specialist]:
            description = FunctionTool(fn)._get_declaration().description or ""
            assert len(description) <= 280, (fn.__name__, len(description))
            assert not re.search(r"por ejemplo", description), fn.__name__
