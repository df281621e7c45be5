"""The ASGI app that fronts both agents: ADK's own API plus our channel, operator and health routes.

    python -m tools.gateway --port 8080        # or: uvicorn tools.gateway.app:create_app --factory

Public routes (everything else, i.e. ADK's raw API that trusts any `user_id`, needs
`X-API-Key: SERVER_API_KEY`, or is not served at all with `EXPOSE_ADK_API=false`):

- `POST /v1/chat/{agent}`: a customer turn; the customer is the session token's subject.
- `GET|POST /webhooks/whatsapp/{agent}`: WhatsApp Cloud API (handshake, signed deliveries).
- `GET /healthz`, `GET /readyz`.
- `/v1/operator/{agent}/...` (bearer `OPERATOR_TOKEN`): the human handoff.
- `POST /v1/tokens`, `GET /v1/metrics` (server key): for the shop's own backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Body,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Request,
    Response,
)
from fastapi.responses import JSONResponse, PlainTextResponse
from google.adk.agents import BaseAgent
from google.adk.apps.app import App
from google.adk.cli.fast_api import get_fast_api_app
from google.adk.cli.service_registry import get_service_registry
from google.adk.cli.utils.base_agent_loader import BaseAgentLoader
from google.adk.sessions import BaseSessionService
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.gateway import auth, health, whatsapp
from tools.gateway.inbox import Inbox, Pending, create_tables
from tools.gateway.turns import APPS, Conversation, TurnResult, Turns
from tools.observability import (
    configure_logging,
    configure_telemetry,
    conversation,
    metrics_snapshot,
)
from tools.sessions import create_session_service
from tools.settings import REPO_ROOT, Settings, get_settings
from tools.shop.permissions import AUTH_ROLE_KEY, record_role, role_rank
from tools.shop.runtime import business_engine, ensure_schema
from tools.text import clean_text

log = logging.getLogger(__name__)

PUBLIC_PREFIXES = ("/v1/", "/webhooks/", "/healthz", "/readyz")
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
    subject: str = Field(min_length=1, max_length=64)
    role: str = "customer"
    ttl_s: int | None = Field(None, ge=60, le=30 * 24 * 3600)


class OperatorReply(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class _Loader(BaseAgentLoader):
    """ADK's API sees exactly our two agents (the same instances our routes run)."""

    def __init__(self, agents: dict[str, BaseAgent]) -> None:
        self.by_app = {APPS[name]: agent for name, agent in agents.items()}

    def load_agent(self, agent_name: str) -> BaseAgent | App:
        if agent_name not in self.by_app:
            raise ValueError(f"no agent {agent_name!r}")
        return self.by_app[agent_name]

    def list_agents(self) -> list[str]:
        return sorted(self.by_app)


def default_agents() -> dict[str, BaseAgent]:
    from ecommerce_agent.agent import root_agent as shop
    from pizzeria_agent.agent import root_agent as pizzeria

    return {"pizzeria": pizzeria, "ecommerce": shop}


def create_app(agents: dict[str, BaseAgent] | None = None, sender: whatsapp.Sender | None = None) -> FastAPI:
    """The whole service, configured from `get_settings()`. Tests may pass agents on their own scripted model."""
    settings = get_settings()
    configure_logging(settings)
    for problem in startup_warnings(settings):
        log.warning(problem)
    agents = agents or default_agents()
    sessions = create_session_service(settings.session_db_url)
    engine = business_engine()
    turns = Turns(agents, sessions, Inbox(engine))
    sender = sender or whatsapp.sender_from_settings(settings)
    background: set[asyncio.Task[Any]] = set()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await ensure_schema(engine)
        await create_tables(engine)
        yield
        if background:
            await asyncio.wait(background, timeout=30)
        await engine.dispose()

    registry = get_service_registry()
    registry.register_session_service("gateway", lambda uri, **kwargs: sessions)
    app = get_fast_api_app(
        agents_dir=str(REPO_ROOT),
        agent_loader=_Loader(agents),
        session_service_uri="gateway://shared",
        use_local_storage=False,
        web=False,
        lifespan=lifespan,
    )
    configure_telemetry(settings)  # after ADK's own setup, so its tracer provider stays in place
    app.state.sessions = sessions  # for tests and operators' tooling

    @app.middleware("http")
    async def guard_adk_api(request: Request, call_next):  # type: ignore[no-untyped-def]
        path = request.url.path
        if not path.startswith(PUBLIC_PREFIXES):
            if not settings.expose_adk_api:
                return JSONResponse({"detail": "Not Found"}, status_code=404)
            if not auth.same_secret(request.headers.get("x-api-key"), settings.server_api_key):
                return JSONResponse({"detail": "server API key required"}, status_code=401)
        return await call_next(request)

    app.include_router(_public_routes(settings, turns, sessions, engine, sender, background))
    return app


def startup_warnings(settings: Settings) -> list[str]:
    """Features that stay closed because their secret is not configured (named by variable)."""
    missing = {
        "JWT_SECRET": (settings.jwt_secret, "/v1/chat refuses every request"),
        "SERVER_API_KEY": (settings.server_api_key, "no tokens can be issued and ADK's API is closed"),
        "OPERATOR_TOKEN": (settings.operator_token, "the operator endpoints refuse every request"),
        "WHATSAPP_APP_SECRET": (settings.whatsapp_app_secret, "WhatsApp deliveries are refused (403)"),
    }
    return [f"{name} is not set: {effect}" for name, (value, effect) in missing.items() if not value]


def _agent(agent: str) -> str:
    if agent not in APPS:
        raise HTTPException(404, detail=f"unknown agent {agent!r}; one of {sorted(APPS)}")
    return agent


async def _check_role(agent: str, caller: auth.Caller) -> dict[str, Any] | None:
    """The token's role may lower the customer's role, never raise it (403 when it tries)."""
    if agent != "ecommerce":
        return None
    allowed = max(role_rank(await record_role(caller.user_id)), role_rank("customer"))
    if role_rank(caller.role) > allowed:
        raise HTTPException(403, detail="role not allowed for this customer")
    return {AUTH_ROLE_KEY: caller.role}


def _public_routes(
    settings: Settings,
    turns: Turns,
    sessions: BaseSessionService,
    engine: AsyncEngine,
    sender: whatsapp.Sender,
    background: set[asyncio.Task[Any]],
) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        ready, report = await health.run_checks(
            {
                "database": lambda: health.database(engine),
                "sessions": lambda: _sessions_check(sessions),
                "chroma": lambda: health.chroma(settings),
                "model_server": lambda: health.model_server(settings),
            }
        )
        return JSONResponse({"status": "ready" if ready else "not ready", "components": report}, status_code=200 if ready else 503)

    @router.post("/v1/tokens", dependencies=[Depends(auth.server_key)])
    async def issue(request: TokenRequest) -> dict[str, Any]:
        try:
            token, expires = auth.issue_token(settings, request.subject, request.role, request.ttl_s)
        except ValueError as exc:
            raise HTTPException(422, detail=str(exc)) from None
        return {"token": token, "expires_at": expires}

    @router.get("/v1/metrics", dependencies=[Depends(auth.server_key)])
    async def metrics() -> dict[str, Any]:
        return metrics_snapshot()

    @router.post("/v1/chat/{agent}")
    async def chat(
        agent: str,
        request: ChatRequest,
        caller: auth.CallerDep,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> TurnResult:
        agent = _agent(agent)
        if request.channel == "whatsapp":
            raise HTTPException(422, detail="the whatsapp channel is served by the webhook")
        state = await _check_role(agent, caller)
        convo = Conversation(agent, request.channel, caller.user_id)
        message_id = f"{convo.key}:{idempotency_key}" if idempotency_key else None
        with conversation(agent, convo.session_id, caller.user_id):
            return await turns.handle(convo, request.text, message_id=message_id, state=state)

    @router.get("/webhooks/whatsapp/{agent}")
    async def verify(agent: str, request: Request) -> Response:
        _agent(agent)
        q = request.query_params
        challenge = whatsapp.verify_handshake(q.get("hub.mode"), q.get("hub.verify_token"), q.get("hub.challenge"),
                                              settings.whatsapp_verify_token)
        if challenge is None:
            raise HTTPException(403, detail="verification failed")
        return PlainTextResponse(challenge)

    @router.post("/webhooks/whatsapp/{agent}")
    async def deliver(agent: str, request: Request) -> dict[str, Any]:
        agent = _agent(agent)
        raw = await request.body()
        check = whatsapp.check_signature(raw, request.headers.get("x-hub-signature-256"), settings.whatsapp_app_secret)
        if check == "missing":
            raise HTTPException(401, detail="missing signature")
        if check != "ok":
            raise HTTPException(403, detail="bad signature")
        try:
            payload = json.loads(raw)
        except ValueError:
            raise HTTPException(400, detail="body is not JSON") from None
        batch = whatsapp.parse_webhook(payload if isinstance(payload, dict) else {})
        queued: dict[str, Conversation] = {}
        for message in batch.messages:
            convo = Conversation(agent, "whatsapp", message.wa_id)
            if message.kind == "reaction":  # a 👍 on our reply needs no answer
                continue
            if message.text is None:  # image, audio, sticker...: ask for text, once per delivery
                if await turns.inbox.submit(convo.key, message.message_id, f"[{message.kind}]", done_reply=whatsapp.NON_TEXT_REPLY):
                    _spawn(background, _send(sender, message.wa_id, whatsapp.NON_TEXT_REPLY))
            elif await turns.inbox.submit(convo.key, message.message_id, message.text):
                queued[convo.key] = convo
        for convo in queued.values():  # answered after the 200, which Meta wants fast
            _spawn(background, _drain_and_send(turns, sender, convo))
        return {"status": "ok", "messages": len(batch.messages), "statuses": len(batch.statuses)}

    @router.get("/v1/operator/{agent}/handoffs", dependencies=[Depends(auth.operator)])
    async def handoffs(agent: str) -> list[dict[str, Any]]:
        from ecommerce_agent.handoff import handed_off

        return [h.model_dump() for h in await handed_off(sessions, APPS[_shop(agent)])]

    @router.post("/v1/operator/{agent}/handoffs/{session_id}/reply", dependencies=[Depends(auth.operator)])
    async def operator_says(agent: str, session_id: str, body: Annotated[OperatorReply, Body()]) -> dict[str, str]:
        from ecommerce_agent.handoff import operator_reply

        user_id = await _handed_off_user(sessions, _shop(agent), session_id)
        await operator_reply(sessions, APPS[agent], user_id, session_id, body.text)
        if Conversation.channel_of(session_id) == "whatsapp":
            await _send(sender, user_id, body.text)
        return {"status": "sent"}

    @router.post("/v1/operator/{agent}/handoffs/{session_id}/release", dependencies=[Depends(auth.operator)])
    async def release(agent: str, session_id: str) -> dict[str, str]:
        from ecommerce_agent.handoff import release as give_back

        user_id = await _handed_off_user(sessions, _shop(agent), session_id)
        await give_back(sessions, APPS[agent], user_id, session_id)
        return {"status": "released"}

    return router


def _shop(agent: str) -> str:
    if _agent(agent) != "ecommerce":
        raise HTTPException(404, detail="only the ecommerce agent hands conversations to people")
    return agent


async def _handed_off_user(sessions: BaseSessionService, agent: str, session_id: str) -> str:
    from ecommerce_agent.handoff import handed_off

    for h in await handed_off(sessions, APPS[agent]):
        if h.session_id == session_id:
            return h.user_id
    raise HTTPException(404, detail="no handed-off conversation with that id")


async def _sessions_check(sessions: BaseSessionService) -> str:
    await sessions.list_sessions(app_name="readyz-probe", user_id="readyz-probe")
    return type(sessions).__name__


def _spawn(background: set[asyncio.Task[Any]], coro: Any) -> None:
    task = asyncio.create_task(coro)
    background.add(task)
    task.add_done_callback(background.discard)


async def _send(sender: whatsapp.Sender, wa_id: str, text: str) -> None:
    try:
        await sender.send_text(wa_id, text)
    except Exception:
        log.exception("could not deliver a WhatsApp reply to %s", whatsapp.mask_phone(wa_id))


async def _drain_and_send(turns: Turns, sender: whatsapp.Sender, convo: Conversation) -> None:
    async def handle(pending: Pending) -> str:
        with conversation(convo.agent, convo.session_id, convo.user_id):
            reply = await turns.run(convo, pending)
        if reply:  # empty while a person has the conversation
            await _send(sender, convo.user_id, reply)
        return reply

    try:
        await turns.inbox.drain(convo.key, handle)
    except Exception:
        log.exception("could not process WhatsApp messages of conversation %s", convo.session_id)
