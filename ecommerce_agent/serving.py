"""How the service hosts the shop agent (see `tools.llm.serving`): the token's role and the turn's intent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.adk.agents import BaseAgent

from ecommerce_agent.state import ShopState
from tools.llm.serving import RoleRefused, Serving, TurnSummary
from tools.shop.permissions import record_role, role_rank


def _build() -> BaseAgent:
    from ecommerce_agent.agent import root_agent

    return root_agent


async def _caller_state(user_id: str, role: str) -> dict[str, Any]:
    """The token's role may lower the customer's role, never raise it."""
    allowed = max(role_rank(await record_role(user_id)), role_rank("customer"))
    if role_rank(role) > allowed:
        raise RoleRefused("role not allowed for this customer")
    return ShopState.delta(auth_role=role)


def _summary(state: Mapping[str, Any]) -> TurnSummary:
    st = ShopState.of(state)
    return TurnSummary(intent=st.current_intent, handed_off=st.requires_human)


SERVING = Serving(app_name="ecommerce_agent", build=_build, summary=_summary, caller_state=_caller_state)
