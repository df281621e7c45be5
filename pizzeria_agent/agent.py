"""Composes the pizzeria agent: the coordinator and its six specialists."""

from __future__ import annotations

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm

from pizzeria_agent import prompts
from pizzeria_agent.coordinator import PizzeriaCoordinator
from pizzeria_agent.demo_policy import demo_policy
from tools.llm.guards import GUARDS
from tools.llm.models import build_model
from tools.pizzeria.finalization_tools import finalize_order
from tools.pizzeria.menu_tools import get_menu
from tools.pizzeria.order_tools import (
    add_item_to_order,
    change_item,
    confirm_order,
    get_current_order,
    remove_item_from_order,
    request_changes,
)
from tools.pizzeria.user_tools import (
    check_user_in_db,
    extract_and_register_name,
    save_address,
)


def _specialist(name: str, instruction, tools: list, model: BaseLlm) -> LlmAgent:
    return LlmAgent(
        name=name,
        model=model,
        instruction=instruction,
        tools=tools,
        include_contents="none",
        disallow_transfer_to_parent=True,
        disallow_transfer_to_peers=True,
        **GUARDS,
    )


def build_agent(model: BaseLlm | None = None) -> PizzeriaCoordinator:
    """The whole agent on `model` (default: the configured model)."""
    model = model or build_model(demo_policy)
    return PizzeriaCoordinator(
        name="pizzeria",
        description="Toma pedidos de delivery de una pizzería.",
        classifier=model,
        sub_agents=[
            _specialist("user_agent", prompts.user_instruction, [check_user_in_db, extract_and_register_name], model),
            _specialist("menu_agent", prompts.menu_instruction, [get_menu], model),
            _specialist(
                "order_agent",
                prompts.order_instruction,
                [add_item_to_order, remove_item_from_order, change_item, get_current_order],
                model,
            ),
            _specialist(
                "confirmation_agent", prompts.confirmation_instruction, [get_current_order, confirm_order, request_changes], model
            ),
            _specialist("address_agent", prompts.address_instruction, [save_address], model),
            _specialist("finalization_agent", prompts.finalization_instruction, [finalize_order], model),
        ],
    )


root_agent = build_agent()
