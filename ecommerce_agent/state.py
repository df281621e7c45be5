"""The shop conversation's `session.state`, as a typed read-only view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

HISTORY = 10  # intents / agents remembered


class ShopState(BaseModel):
    current_intent: str | None = None
    routed_by: str | None = None  # "rules" or "model": who decided the last intent
    intent_history: list[str] = Field(default_factory=list)
    agent_history: list[str] = Field(default_factory=list)
    error_count: int = 0  # consecutive failed turns
    low_confidence_count: int = 0  # consecutive turns the router could not place
    requires_human: bool = False
    handoff_reason: str | None = None
    handoff_summary: str | None = None
    handoff_notified: bool = False
    last_reply: str | None = None

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> ShopState:
        return cls.model_validate({k: state[k] for k in cls.model_fields if k in state})
