"""The human handoff for operators (`Bearer OPERATOR_TOKEN`): waiting conversations, replying as a person, releasing.

`reply_as_person` and `give_back` are also what the staff panels' buttons run.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException
from google.adk.sessions import BaseSessionService
from pydantic import BaseModel, Field

from gateway import auth
from gateway.outbox import Outgoing
from gateway.routes.deps import Service, agent_name, app_name
from gateway.turns import Conversation
from tools.llm import handoff


class OperatorReply(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


async def reply_as_person(service: Service, agent: str, session_id: str, text: str, key: str | None = None) -> bool:
    """Record a person's reply in the conversation and send it to the customer, once per `key`.

    The message is enqueued first (its key makes a retried request a no-op: False), then
    written to the session; web customers read it from `/v1/chat/{agent}/messages`,
    WhatsApp customers are sent it.
    """
    app = app_name(agent)
    waiting = await _handed_off(service.sessions, app, session_id)
    message = Outgoing(key=f"operator:{session_id}:{key or uuid.uuid4().hex}", agent=agent_name(agent), session_id=session_id,
                       channel=Conversation.channel_of(session_id), recipient=waiting.recipient, kind="operator", text=text)
    if not await service.notifier.enqueue(message):
        return False
    try:
        await handoff.operator_reply(service.sessions, app, waiting.user_id, session_id, text)
    except Exception:
        await service.outbox.forget(message.key)
        raise
    return True


async def give_back(service: Service, agent: str, session_id: str) -> None:
    """Release the conversation to the bot."""
    app = app_name(agent)
    waiting = await _handed_off(service.sessions, app, session_id)
    await handoff.release(service.sessions, app, waiting.user_id, session_id)


def routes(service: Service) -> APIRouter:
    router = APIRouter(dependencies=[Depends(auth.operator)])
    sessions = service.sessions

    @router.get("/v1/operator/{agent}/handoffs")
    async def handoffs(agent: str) -> list[dict[str, Any]]:
        return [h.model_dump() for h in await handoff.handed_off(sessions, app_name(agent))]

    @router.post("/v1/operator/{agent}/handoffs/{session_id}/reply")
    async def operator_says(agent: str, session_id: str, body: Annotated[OperatorReply, Body()],
                            idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> dict[str, str]:
        fresh = await reply_as_person(service, agent, session_id, body.text, idempotency_key)
        return {"status": "sent" if fresh else "duplicate"}

    @router.post("/v1/operator/{agent}/handoffs/{session_id}/release")
    async def release(agent: str, session_id: str) -> dict[str, str]:
        await give_back(service, agent, session_id)
        return {"status": "released"}

    return router


async def _handed_off(sessions: BaseSessionService, app: str, session_id: str) -> handoff.HandedOff:
    for h in await handoff.handed_off(sessions, app):
        if h.session_id == session_id:
            return h
    raise HTTPException(404, detail="no handed-off conversation with that id")
