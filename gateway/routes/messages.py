"""What a web customer is sent between turns: `GET /v1/chat/{agent}/messages?after=<id>`.

Order status changes and operators' replies wait in the outbox; the customer's client
polls with the highest id it has seen (0 at first) and gets the newer ones, oldest
first. The conversation is the session token's subject on `channel` (default "web"):
nobody reads another customer's messages. WhatsApp customers are sent them instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from gateway import auth
from gateway.routes.deps import Service, agent_name
from gateway.turns import Conversation


class Message(BaseModel):
    id: int
    kind: str  # "status" (the order moved) or "operator" (a person wrote)
    text: str
    at: float  # epoch seconds


class Messages(BaseModel):
    messages: list[Message]
    last_id: int  # pass as `after` next time


def routes(service: Service) -> APIRouter:
    router = APIRouter()

    @router.get("/v1/chat/{agent}/messages")
    async def messages(
        agent: str,
        caller: auth.CallerDep,
        after: Annotated[int, Query(ge=0)] = 0,
        channel: Annotated[str, Query(pattern=r"^[a-z][a-z0-9_]{0,15}$")] = "web",
    ) -> Messages:
        agent = agent_name(agent)
        if channel == "whatsapp":
            raise HTTPException(422, detail="WhatsApp customers are sent their messages")
        convo = Conversation(agent, channel, caller.user_id)
        found = await service.outbox.for_conversation(agent, convo.session_id, after)
        return Messages(messages=[Message(id=m.id, kind=m.kind, text=m.text, at=m.at) for m in found],
                        last_id=found[-1].id if found else after)

    return router
