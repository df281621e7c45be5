"""Composes the shop agent: the supervisor and its six specialists."""

from __future__ import annotations

from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.tools import BaseTool, ToolContext

from ecommerce_agent.demo_policy import demo_policy
from ecommerce_agent.prompts import instruction_for
from ecommerce_agent.supervisor import ShopSupervisor
from tools.llm.guards import GUARDS
from tools.llm.models import build_model
from tools.shop.permissions import SPECIALIST_TOOLS, enforce_permissions

SELF_CONTAINED = {"track_order", "my_recent_orders", "redeem_coupon_code", "request_invoice", "open_support_ticket", "lookup_any_order"}
"""Tools whose Spanish `message` is the whole answer: the turn ends without a second model call."""


def end_turn_with_message(tool: BaseTool, args: dict[str, Any], tool_context: ToolContext, tool_response: dict[str, Any]) -> None:
    if tool.name in SELF_CONTAINED and isinstance(tool_response, dict) and tool_response.get("message"):
        tool_context.actions.skip_summarization = True


def build_agent(model: BaseLlm | None = None) -> ShopSupervisor:
    model = model or build_model(demo_policy)
    specialists = [
        LlmAgent(
            name=name,
            model=model,
            instruction=instruction_for(name),
            tools=tools,
            include_contents="none",
            disallow_transfer_to_parent=True,
            disallow_transfer_to_peers=True,
            before_tool_callback=enforce_permissions,
            after_tool_callback=end_turn_with_message,
            **GUARDS,
        )
        for name, tools in SPECIALIST_TOOLS.items()
    ]
    return ShopSupervisor(name="tienda", description="Atención al cliente de la tienda online.", classifier=model, sub_agents=specialists)


root_agent = build_agent()
