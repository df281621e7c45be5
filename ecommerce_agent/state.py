"""The shop conversation's `session.state` keys, typed (read with `ShopState.of`, written with `ShopState.delta`)."""

from __future__ import annotations

from pydantic import Field

from tools.llm.handoff import HandoffState

HISTORY = 10  # intents / agents remembered


class ShopState(HandoffState):
    current_intent: str | None = None
    routed_by: str | None = None  # "rules" or "model": who decided the last intent
    intent_history: list[str] = Field(default_factory=list)
    agent_history: list[str] = Field(default_factory=list)
    error_count: int = 0  # consecutive failed turns
    low_confidence_count: int = 0  # consecutive turns the router could not place
    offered_coupon: str | None = None  # the coupon the bot just offered to apply; a plain "sí" next turn applies it
    auth_role: str | None = None  # the session token's role claim, set by the service (it may only lower the role)
