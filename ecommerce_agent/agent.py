"""Composes the shop agent: the supervisor and its six specialists, each with only its tools."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.tools import BaseTool, ToolContext

from ecommerce_agent.prompts import instruction_for
from ecommerce_agent.specialists import Specialist
from ecommerce_agent.supervisor import ShopSupervisor
from tools.llm.guards import GUARDS
from tools.llm.models import build_model
from tools.shop import (
    catalog_tools,
    invoice_tools,
    product_tools,
    promotion_tools,
    support_tools,
    tracking_tools,
)
from tools.shop.permissions import ALL_TOOLS, enforce_permissions

TOOLS: dict[Specialist, list[Callable[..., Awaitable[dict[str, Any]]]]] = {
    Specialist.CATEGORY: [catalog_tools.list_categories, catalog_tools.find_categories],
    Specialist.PRODUCT: [product_tools.search_catalog, product_tools.product_details, product_tools.compare_products],
    Specialist.PROMOTIONS: [promotion_tools.my_promotions, promotion_tools.redeem_coupon_code],
    Specialist.TRACKING: [tracking_tools.track_order, tracking_tools.my_recent_orders, tracking_tools.lookup_any_order],
    Specialist.SUPPORT: [support_tools.search_help, support_tools.open_support_ticket],
    Specialist.INVOICE: [invoice_tools.request_invoice],
}
assert {fn.__name__ for fns in TOOLS.values() for fn in fns} == ALL_TOOLS, "every tool must be in the role table"

SELF_CONTAINED = {"track_order", "my_recent_orders", "redeem_coupon_code", "request_invoice", "open_support_ticket", "lookup_any_order"}
"""Tools whose Spanish `message` is the whole answer: the turn ends without a second model call."""


def end_turn_with_message(tool: BaseTool, args: dict[str, Any], tool_context: ToolContext, tool_response: dict[str, Any]) -> None:
    if tool.name in SELF_CONTAINED and isinstance(tool_response, dict) and tool_response.get("message"):
        tool_context.actions.skip_summarization = True


def build_agent(model: BaseLlm | None = None) -> ShopSupervisor:
    """The whole agent on `model` (default: the configured model)."""
    model = model or build_model("ecommerce_agent.demo_policy:demo_policy")
    specialists = [
        LlmAgent(
            name=specialist.value,
            model=model,
            instruction=instruction_for(specialist),
            tools=TOOLS[specialist],
            include_contents="none",
            disallow_transfer_to_parent=True,
            disallow_transfer_to_peers=True,
            before_tool_callback=enforce_permissions,
            after_tool_callback=end_turn_with_message,
            **GUARDS,
        )
        for specialist in Specialist
    ]
    return ShopSupervisor(name="tienda", description="Atención al cliente de la tienda online.", classifier=model, sub_agents=specialists)


root_agent = build_agent()
