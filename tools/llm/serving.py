"""The contract between an agent package and the service that hosts it.

Each agent package has a `serving` module exposing one `Serving`: its ADK app name,
how to build its root agent, the session state a caller's identity sets before a
turn, and what the service reports of a turn. The service knows agents only
through these, so nothing agent-specific lives in the service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from google.adk.agents import BaseAgent
from pydantic import BaseModel

from tools.llm.state import SessionState


class TurnSummary(BaseModel):
    """What the service returns about the conversation after a turn."""

    phase: str | None = None  # pizzeria: the conversation phase
    intent: str | None = None  # shop: the routed intent
    handed_off: bool = False  # a person has the conversation


class ChannelState(SessionState):
    """Where the conversation's customer is reached, written by the service (never the agent) before a turn.

    An agent whose state inherits these keys can record them with what it saves (the
    pizzeria's orders), so a message sent later (a status change) reaches the same chat.
    """

    channel: str | None = None  # "web", "whatsapp"...
    conversation_id: str | None = None  # the service's session id of this conversation


class RoleRefused(PermissionError):
    """The caller's token claims a role its customer record does not allow."""


async def _no_caller_state(user_id: str, role: str) -> dict[str, Any] | None:
    return None


@dataclass(frozen=True)
class Serving:
    app_name: str  # ADK app name (the sessions ADK's own API shows)
    build: Callable[[], BaseAgent]  # the agent on the configured model
    summary: Callable[[Mapping[str, Any]], TurnSummary]
    caller_state: Callable[[str, str], Awaitable[dict[str, Any] | None]] = _no_caller_state
    """State delta a caller's identity (user id, token role) sets before the turn; raises RoleRefused."""
