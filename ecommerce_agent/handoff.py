"""Operator side of the human handoff: see handed-off conversations, reply as a person, release."""

from __future__ import annotations

import time

from google.adk.events import Event, EventActions
from google.adk.sessions import BaseSessionService
from google.genai import types
from pydantic import BaseModel

from ecommerce_agent.supervisor import RELEASE_DELTA

OPERATOR = "operator"


class HandedOff(BaseModel):
    user_id: str
    session_id: str
    reason: str | None
    summary: str | None


async def handed_off(service: BaseSessionService, app_name: str) -> list[HandedOff]:
    """Conversations waiting for a person, with the supervisor's summary of why."""
    listed = await service.list_sessions(app_name=app_name)
    found = []
    for session in listed.sessions:
        full = await service.get_session(app_name=app_name, user_id=session.user_id, session_id=session.id)
        if full and full.state.get("requires_human"):
            found.append(HandedOff(user_id=full.user_id, session_id=full.id,
                                   reason=full.state.get("handoff_reason"), summary=full.state.get("handoff_summary")))
    return found


async def _append(service: BaseSessionService, app_name: str, user_id: str, session_id: str, event: Event) -> None:
    session = await service.get_session(app_name=app_name, user_id=user_id, session_id=session_id)
    if session is None:
        raise KeyError(f"no session {session_id} for {user_id}")
    await service.append_event(session, event)


async def operator_reply(service: BaseSessionService, app_name: str, user_id: str, session_id: str, text: str) -> None:
    """Record a person's message in the conversation (delivery to the channel is the gateway's job)."""
    event = Event(invocation_id=f"operator-{time.time_ns()}", author=OPERATOR,
                  content=types.Content(role="model", parts=[types.Part(text=text)]))
    await _append(service, app_name, user_id, session_id, event)


async def release(service: BaseSessionService, app_name: str, user_id: str, session_id: str) -> None:
    """Give the conversation back to the bot."""
    event = Event(invocation_id=f"operator-{time.time_ns()}", author=OPERATOR, actions=EventActions(state_delta=dict(RELEASE_DELTA)))
    await _append(service, app_name, user_id, session_id, event)
