"""Code reads the customer first: a turn whose action the customer's own words settle runs with no model call.

`settled(specialist, text, role)` gives the tool calls the words settle, or None when the
specialist's model has to read the message:

- tracking: an order number -> `track_order` (`lookup_any_order` for support staff), up to
  three numbers; "mis pedidos", "mis últimas compras" -> `my_recent_orders`;
- invoice: an order number -> `request_invoice`;
- promotions: a coupon code the customer asks to use ("aplicame BIENVENIDA10") ->
  `redeem_coupon_code`; a coupon code they ask about ("¿puedo usar HOTSALE15?") ->
  `my_promotions(code=...)`, which answers and offers it without redeeming it;
- product: one SKU -> `product_details`, two to four -> `compare_products`.

`run(turn, specialist, calls)` runs the calls as the specialist would run its model's:
the function-call event under its name, then ADK's own tool execution (its permission
check and its end-of-turn callback), so the session records the same trajectory and the
tool's message is said as the answer.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.agents.readonly_context import ReadonlyContext
from google.adk.events import Event
from google.adk.flows.llm_flows import functions
from google.genai import types

from ecommerce_agent.specialists import Specialist
from tools.llm.coordinator import Turn, closing_text
from tools.shop.entities import asks_for_own_orders, coupon_requested, extract

Call = tuple[str, dict[str, Any]]
MAX_ORDERS = 3


def settled(specialist: Specialist, text: str, role: str | None) -> list[Call] | None:
    """The tool calls the customer's words settle for `specialist`, or None (its model reads the message)."""
    found = extract(text)
    numbers = found.order_numbers[:MAX_ORDERS]
    match specialist:
        case Specialist.TRACKING if numbers:
            tool = "lookup_any_order" if role == "support_staff" else "track_order"
            return [(tool, {"order_number": number}) for number in numbers]
        case Specialist.TRACKING if asks_for_own_orders(text):
            return [("my_recent_orders", {})]
        case Specialist.INVOICE if numbers:
            return [("request_invoice", {"order_number": number}) for number in numbers]
        case Specialist.PROMOTIONS if found.coupon_codes:
            code = found.coupon_codes[0]
            return [("redeem_coupon_code", {"code": code})] if coupon_requested(text, code) else [("my_promotions", {"code": code})]
        case Specialist.PRODUCT if len(found.skus) == 1:
            return [("product_details", {"sku": found.skus[0]})]
        case Specialist.PRODUCT if len(found.skus) > 1:
            return [("compare_products", {"skus": ", ".join(found.skus)})]
    return None


async def run(turn: Turn, agent: LlmAgent, calls: list[Call]) -> AsyncGenerator[Event, None]:
    """Run `calls` as `agent` runs its model's calls, then say the tools' message."""
    ctx = turn.ctx.model_copy(update={"agent": agent})
    call_event = Event(
        invocation_id=ctx.invocation_id, author=agent.name, branch=ctx.branch,
        content=types.Content(role="model", parts=[
            types.Part(function_call=types.FunctionCall(id=functions.generate_client_function_call_id(), name=name, args=args))
            for name, args in calls
        ]),
    )
    yield call_event
    tools = {tool.name: tool for tool in await agent.canonical_tools(ReadonlyContext(ctx))}
    response_event = await functions.handle_function_calls_async(ctx, call_event, tools)
    if response_event is None:
        return
    yield response_event
    closing = closing_text(response_event)
    if closing:
        yield turn.say(closing)
