"""The human handoff for operators (`Bearer OPERATOR_TOKEN`): waiting conversations, replying as a person, releasing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException
from google.adk.sessions import BaseSessionService
from pydantic import BaseModel, Field

from gateway import auth
from gateway.routes.deps import Service, app_name
from gateway.turns import Conversation
from tools.llm import handoff


class OperatorReply(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


def routes(service: Service) -> APIRouter:
    router = APIRouter(dependencies=[Depends(auth.operator)])
    sessions = service.sessions

    @router.get("/v1/operator/{agent}/handoffs")
    async def handoffs(agent: str) -> list[dict[str, Any]]:
        return [h.model_dump() for h in await handoff.handed_off(sessions, app_name(agent))]

    @router.post("/v1/operator/{agent}/handoffs/{session_id}/reply")
    async def operator_says(agent: str, session_id: str, body: Annotated[OperatorReply, Body()]) -> dict[str, str]:
        user_id = await _handed_off_user(sessions, app_name(agent), session_id)
        await handoff.operator_reply(sessions, app_name(agent), user_id, session_id, body.text)
        if Conversation.channel_of(session_id) == "whatsapp":
            await service.send_whatsapp(user_id, body.text)
        return {"status": "sent"}

    @router.post("/v1/operator/{agent}/handoffs/{session_id}/release")
    async def release(agent: str, session_id: str) -> dict[str, str]:
        user_id = await _handed_off_user(sessions, app_name(agent), session_id)
        await handoff.release(sessions, app_name(agent), user_id, session_id)
        return {"status": "released"}

    return router


async def _handed_off_user(sessions: BaseSessionService, app: str, session_id: str) -> str:
    for h in await handoff.handed_off(sessions, app):
        if h.session_id == session_id:
            return h.user_id
    raise HTTPException(404, detail="no handed-off conversation with that id")
