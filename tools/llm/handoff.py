"""The human handoff, for any agent: the state that marks a conversation as a person's, and the operator's side.

An agent's state includes `HandoffState`'s keys; its coordinator sets them when it
hands the conversation to a person and then stays silent until an operator releases
it, or until nobody has answered for `HANDOFF_RELEASE_S` (`timed_out`: then the bot
takes the conversation back, so a customer — or someone trying the agent in
`adk run`, where no operator exists — is never left talking to nobody; a person's
reply restarts that clock). The operator side (the service's operator routes) lists handed-off
conversations, records a person's reply in the conversation, and gives it back.
"""

from __future__ import annotations

import time
from typing import Any

from google.adk.events import Event, EventActions
from google.adk.sessions import BaseSessionService
from google.genai import types
from pydantic import BaseModel, Field

from tools.llm.state import SessionState

OPERATOR = "operator"


class HandoffState(SessionState):
    requires_human: bool = False
    handoff_reason: str | None = None
    handoff_summary: str | None = None
    handoff_notified: bool = False
    handoff_at: float | None = None
    """When it was handed off, or a person last replied (epoch seconds)."""


def handoff_delta(reason: str, summary: str) -> dict[str, Any]:
    """What a coordinator records when it hands the conversation to a person."""
    return HandoffState.delta(requires_human=True, handoff_reason=reason, handoff_summary=summary, handoff_notified=True,
                              handoff_at=time.time())


def timed_out(state: HandoffState, release_s: int, now: float | None = None) -> bool:
    """A handed-off conversation nobody has answered for `release_s` seconds (0: never times out)."""
    if not state.requires_human or not release_s or state.handoff_at is None:
        return False
    return (time.time() if now is None else now) - state.handoff_at >= release_s


RELEASE_DELTA = HandoffState.delta(requires_human=False, handoff_reason=None, handoff_notified=False, handoff_at=None)
"""What a release writes (the summary stays for the record); an agent may add its own keys."""


class HandedOff(BaseModel):
    user_id: str
    session_id: str
    reason: str | None
    summary: str | None
    since: float | None = None
    recipient: str = Field("", exclude=True)
    """Who the channel delivers an operator's reply to (the phone behind a pseudonymous user id)."""


async def handed_off(service: BaseSessionService, app_name: str) -> list[HandedOff]:
    """Conversations waiting for a person, longest waiting first, with the coordinator's summary of why.

    A session service that indexes handoffs (the gateway's database one: `handed_off(app_name)`)
    answers with one query; any other is listed whole (ADK's `list_sessions`, states only).
    The staff panels poll this every few seconds.
    """
    indexed = getattr(service, "handed_off", None)
    if indexed is not None:
        return list(await indexed(app_name))
    listed = await service.list_sessions(app_name=app_name)
    found = []
    for session in listed.sessions:
        if session.state.get("requires_human"):
            st = HandoffState.of(session.state)
            found.append(HandedOff(user_id=session.user_id, session_id=session.id, reason=st.handoff_reason,
                                   summary=st.handoff_summary, since=st.handoff_at, recipient=session.user_id))
    return sorted(found, key=lambda h: h.since or 0)


async def _append(service: BaseSessionService, app_name: str, user_id: str, session_id: str, event: Event) -> None:
    session = await service.get_session(app_name=app_name, user_id=user_id, session_id=session_id)
    if session is None:
        raise KeyError(f"no session {session_id} for {user_id}")
    await service.append_event(session, event)


async def operator_reply(service: BaseSessionService, app_name: str, user_id: str, session_id: str, text: str) -> None:
    """Record a person's message in the conversation (delivery to the channel is the service's job)."""
    event = Event(invocation_id=f"operator-{time.time_ns()}", author=OPERATOR,
                  content=types.Content(role="model", parts=[types.Part(text=text)]),
                  actions=EventActions(state_delta=HandoffState.delta(handoff_at=time.time())))
    await _append(service, app_name, user_id, session_id, event)


async def release(service: BaseSessionService, app_name: str, user_id: str, session_id: str,
                  delta: dict[str, Any] | None = None) -> None:
    """Give the conversation back to the bot (`delta`: the agent's release state, RELEASE_DELTA and more)."""
    event = Event(invocation_id=f"operator-{time.time_ns()}", author=OPERATOR,
                  actions=EventActions(state_delta=dict(delta or RELEASE_DELTA)))
    await _append(service, app_name, user_id, session_id, event)
