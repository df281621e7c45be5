"""Composes the shop agent: the supervisor and its six specialists, each with only its tools.

Each specialist's request is laid out for the model server's prefix cache: its fixed
instruction (`prompts.STATIC`) and the tool schemas its session's role may use
(`PermittedTools`) first, the turn's context last, in the user turn
(`tools.llm.layout`). Every tool's Spanish `message` is the whole answer: the turn ends on
it, with no second model call re-reading the results (`end_turn_with_message`). Before a
tool runs, the model's choice is held against the customer's words (`holds`), and its
permission is checked (`enforce_permissions`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.tools import BaseTool, ToolContext

from ecommerce_agent.holds import hold_tool_calls
from ecommerce_agent.prompts import STATIC, turn_context
from ecommerce_agent.specialists import Specialist
from ecommerce_agent.supervisor import ShopSupervisor
from tools.llm.guards import guards
from tools.llm.layout import context_before_message
from tools.llm.models import build_model
from tools.shop import (
    catalog_tools,
    invoice_tools,
    product_tools,
    promotion_tools,
    support_tools,
    tracking_tools,
)
from tools.shop.permissions import ALL_TOOLS, PermittedTools, enforce_permissions

TOOLS: dict[Specialist, list[Callable[..., Awaitable[dict[str, Any]]]]] = {
    Specialist.CATEGORY: [catalog_tools.list_categories, catalog_tools.find_categories],
    Specialist.PRODUCT: [product_tools.search_catalog, product_tools.product_details, product_tools.compare_products],
    Specialist.PROMOTIONS: [promotion_tools.my_promotions, promotion_tools.redeem_coupon_code],
    Specialist.TRACKING: [tracking_tools.track_order, tracking_tools.my_recent_orders, tracking_tools.lookup_any_order],
    Specialist.SUPPORT: [support_tools.search_help, support_tools.open_support_ticket],
    Specialist.INVOICE: [invoice_tools.request_invoice],
}
assert {fn.__name__ for fns in TOOLS.values() for fn in fns} == ALL_TOOLS, "every tool must be in the role table"

SELF_CONTAINED = ALL_TOOLS
"""Tools whose Spanish `message` is the whole answer, so the turn ends on it without a second model call.

All of them: each phrases its result in code (product lists, a product sheet, a comparison, the
best help article, promotions, categories, an order's tracking, an invoice, a ticket), so a
second call would only re-read the results (1,700-1,900 tokens after a search) to say the same
thing less reliably (a real 1.5B model repeated `search_help` until the call cap, and invented
a returns policy). A response without a `message` (a tool error) still goes back to the model."""


def end_turn_with_message(tool: BaseTool, args: dict[str, Any], tool_context: ToolContext, tool_response: dict[str, Any]) -> None:
    if tool.name in SELF_CONTAINED and isinstance(tool_response, dict) and tool_response.get("message"):
        tool_context.actions.skip_summarization = True


def _callbacks(*found: Any) -> list[Any]:
    """Callbacks as one list (each argument a callback or a list of them)."""
    return [cb for item in found for cb in (item if isinstance(item, list) else [item])]


def build_agent(model: BaseLlm | None = None) -> ShopSupervisor:
    """The whole agent on `model` (default: the configured model)."""
    model = model or build_model("ecommerce_agent.demo_policy:demo_policy")
    checks = guards(then=hold_tool_calls)
    rest = {k: v for k, v in checks.items() if k != "before_model_callback"}
    specialists = [
        LlmAgent(
            name=specialist.value,
            model=model,
            static_instruction=STATIC[specialist],
            tools=[PermittedTools(TOOLS[specialist])],
            include_contents="none",
            disallow_transfer_to_parent=True,
            disallow_transfer_to_peers=True,
            before_model_callback=_callbacks(checks["before_model_callback"], context_before_message(turn_context)),
            before_tool_callback=enforce_permissions,
            after_tool_callback=end_turn_with_message,
            **rest,
        )
        for specialist in Specialist
    ]
    return ShopSupervisor(name="tienda", description="Atención al cliente de la tienda online.", classifier=model, sub_agents=specialists)


root_agent = build_agent()
