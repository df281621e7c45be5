"""Composes the pizzeria agent: the coordinator and its five specialists, each with only its tools (saving is code)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm

from pizzeria_agent.coordinator import PizzeriaCoordinator
from pizzeria_agent.prompts import static_instructions, turn_context
from pizzeria_agent.specialists import Specialist
from tools.llm.guards import guards
from tools.llm.layout import context_before_message
from tools.llm.models import build_model
from tools.pizzeria.crosscheck import hold_order_calls
from tools.pizzeria.menu_tools import get_menu
from tools.pizzeria.order_tools import (
    add_item_to_order,
    change_item,
    confirm_order,
    get_current_order,
    remove_item_from_order,
    request_changes,
)
from tools.pizzeria.user_tools import extract_and_register_name, save_address

TOOLS: dict[Specialist, list[Callable[..., object]]] = {
    Specialist.USER: [extract_and_register_name],
    Specialist.MENU: [get_menu],
    Specialist.ORDER: [add_item_to_order, remove_item_from_order, change_item, get_current_order],
    Specialist.CONFIRMATION: [get_current_order, confirm_order, request_changes],
    Specialist.ADDRESS: [save_address],
}


def _order_has_items(state: Mapping[str, Any]) -> bool:
    """Whether the model-down apology may say the order so far is kept (it is, in the session)."""
    order = state.get("current_order")
    return isinstance(order, dict) and bool(order.get("items"))


def build_agent(model: BaseLlm | None = None) -> PizzeriaCoordinator:
    """The whole agent on `model` (default: the configured model)."""
    model = model or build_model("pizzeria_agent.demo_policy:demo_policy")
    static = static_instructions()
    specialists = []
    for specialist in Specialist:
        checks = guards(kept=_order_has_items, then=hold_order_calls if specialist == Specialist.ORDER else None)
        specialists.append(LlmAgent(
            name=specialist.value,
            model=model,
            static_instruction=static[specialist],  # the same bytes every call; the turn's context goes last
            tools=TOOLS[specialist],
            include_contents="none",
            disallow_transfer_to_parent=True,
            disallow_transfer_to_peers=True,
            **checks | {"before_model_callback": [checks["before_model_callback"], context_before_message(turn_context)]},
        ))
    return PizzeriaCoordinator(
        name="pizzeria", description="Toma pedidos de delivery de una pizzería.", classifier=model, sub_agents=specialists
    )


root_agent = build_agent()
