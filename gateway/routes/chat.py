"""Customers' turns over HTTP (`POST /v1/chat/{agent}`), and the tokens the shop's backend issues and revokes.

A turn's body is read only once its token is good: a request without one is answered
401 before a byte of its body is read (and no body past `MAX_BODY_BYTES` is read at all).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError, field_validator

from gateway import auth
from gateway.agents import SERVINGS
from gateway.routes.deps import Service, agent_name, json_body
from gateway.turns import Conversation, TurnResult
from tools.llm.serving import RoleRefused
from tools.observability import conversation
from tools.text import clean_text

MAX_REQUEST_CHARS = 200_000  # far above MAX_MESSAGE_CHARS: the agents cut and tell; this only bounds the request


class ChatRequest(BaseModel):
    text: str = Field(max_length=MAX_REQUEST_CHARS)
    channel: str = Field("web", pattern=r"^[a-z][a-z0-9_]{0,15}$")

    @field_validator("text", mode="before")
    @classmethod
    def _storable(cls, value: object) -> object:
        """A lone surrogate (a valid JSON escape) or a NUL would break encoders and PostgreSQL."""
        return clean_text(value) if isinstance(value, str) else value


class TokenRequest(BaseModel):
    subject: str = Field(pattern=auth.SUBJECT)
    role: str = "customer"
    ttl_s: int | None = Field(None, ge=60, le=30 * 24 * 3600)


class RevokeRequest(BaseModel):
    subject: str = Field(pattern=auth.SUBJECT)


async def _chat_request(request: Request) -> ChatRequest:
    """The turn's body, read now (after the token was checked); 422 as FastAPI answers a bad body."""
    try:
        return ChatRequest.model_validate(json_body(await request.body()))
    except ValueError as error:  # not JSON, or a ValidationError (a ValueError too)
        problems = error.errors(include_url=False, include_context=False) if isinstance(error, ValidationError) else [
            {"type": "json_invalid", "loc": (), "msg": str(error), "input": None}]
        raise RequestValidationError([{**p, "loc": ("body", *p["loc"])} for p in problems]) from None


async def _caller_state(agent: str, caller: auth.Caller) -> dict[str, Any] | None:
    """The session state the caller's identity sets (403 when the token claims too much)."""
    try:
        return await SERVINGS[agent].caller_state(caller.user_id, caller.role)
    except RoleRefused as refused:
        raise HTTPException(403, detail=str(refused)) from None


def routes(service: Service) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/tokens", dependencies=[Depends(auth.server_key)])
    async def issue(request: TokenRequest) -> dict[str, Any]:
        version = await service.tokens.current(request.subject)
        try:
            token, expires = auth.issue_token(service.settings, request.subject, request.role, request.ttl_s, version)
        except ValueError as exc:
            raise HTTPException(422, detail=str(exc)) from None
        return {"token": token, "expires_at": expires}

    @router.post("/v1/tokens/revoke", dependencies=[Depends(auth.server_key)])
    async def revoke(request: RevokeRequest) -> dict[str, Any]:
        """Every token issued so far to `subject` is refused from now on (tokens issued later work)."""
        return {"status": "revoked", "subject": request.subject, "version": await service.tokens.revoke(request.subject)}

    @router.post("/v1/chat/{agent}", openapi_extra={"requestBody": {
        "required": True, "content": {"application/json": {"schema": ChatRequest.model_json_schema()}}}})
    async def chat(
        agent: str,
        http: Request,
        caller: auth.CallerDep,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> TurnResult:
        agent = agent_name(agent)
        request = await _chat_request(http)
        if request.channel == "whatsapp":
            raise HTTPException(422, detail="the whatsapp channel is served by the webhook")
        state = await _caller_state(agent, caller)
        convo = Conversation(agent, request.channel, caller.user_id)
        message_id = f"{convo.key}:{idempotency_key}" if idempotency_key else None
        with conversation(agent, convo.session_id, caller.user_id):
            return await service.turns.handle(convo, request.text, message_id=message_id, state=state)

    return router
