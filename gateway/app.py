"""The ASGI app that fronts both agents: ADK's own API plus our channel, operator and health routes.

    python -m gateway --port 8080        # or: uvicorn gateway.app:create_app --factory

Public routes (`gateway/routes/`; everything else, i.e. ADK's raw API that trusts any
`user_id`, needs `X-API-Key: SERVER_API_KEY`, or is not served at all with
`EXPOSE_ADK_API=false`, WebSockets included: `gateway/edge.py`). No request body may
exceed `MAX_BODY_BYTES` (413):

- `POST /v1/chat/{agent}`: a customer turn; the customer is the session token's subject.
- `GET|POST /webhooks/whatsapp/{agent}`: WhatsApp Cloud API (handshake, signed deliveries).
- `GET /healthz`, `GET /readyz`.
- `GET /v1/chat/{agent}/messages`: what a web customer was sent between turns (status changes, operators).
- `/v1/operator/{agent}/...` (bearer `OPERATOR_TOKEN`): the human handoff.
- `/panel/pizzeria`, `/panel/ecommerce` (staff login, `PANEL_SECRET`): kitchen board and operator console.
- `POST /v1/tokens`, `GET /v1/metrics` (server key): for the shop's own backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from google.adk.agents import BaseAgent
from google.adk.apps.app import App
from google.adk.cli.fast_api import get_fast_api_app
from google.adk.cli.service_registry import get_service_registry
from google.adk.cli.utils.base_agent_loader import BaseAgentLoader

from gateway import edge, outbox, whatsapp
from gateway.agents import SERVINGS
from gateway.inbox import Inbox, create_tables
from gateway.notify import Notifier
from gateway.panels import routes as panels
from gateway.revocation import TokenVersions
from gateway.routes import chat, messages, operator, probes, webhook
from gateway.routes.deps import Service
from gateway.sessions import create_session_service
from gateway.turns import Turns
from tools.observability import configure_logging, configure_telemetry
from tools.settings import REPO_ROOT, Settings, get_settings
from tools.shop.runtime import business_engine, ensure_schema

log = logging.getLogger(__name__)

class _Loader(BaseAgentLoader):
    """ADK's API sees exactly our two agents (the same instances our routes run)."""

    def __init__(self, agents: dict[str, BaseAgent]) -> None:
        self.by_app = {SERVINGS[name].app_name: agent for name, agent in agents.items()}

    def load_agent(self, agent_name: str) -> BaseAgent | App:
        if agent_name not in self.by_app:
            raise ValueError(f"no agent {agent_name!r}")
        return self.by_app[agent_name]

    def list_agents(self) -> list[str]:
        return sorted(self.by_app)


def default_agents() -> dict[str, BaseAgent]:
    return {name: serving.build() for name, serving in SERVINGS.items()}


def create_app(agents: dict[str, BaseAgent] | None = None, sender: whatsapp.Sender | None = None) -> FastAPI:
    """The whole service, configured from `get_settings()`. Tests may pass agents on their own scripted model."""
    settings = get_settings()
    configure_logging(settings)
    for problem in startup_warnings(settings):
        log.warning(problem)
    agents = agents or default_agents()
    sessions = create_session_service(settings.session_db_url)
    engine = business_engine()
    sender = sender or whatsapp.sender_from_settings(settings)
    messages_out = outbox.Outbox(engine)
    service = Service(settings=settings, turns=Turns(agents, sessions, Inbox(engine, business_engine), sender), sessions=sessions,
                      engine=engine, sender=sender, outbox=messages_out, notifier=Notifier(messages_out, sender),
                      tokens=TokenVersions(engine))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await ensure_schema(engine)
        await create_tables(engine)  # the inbox, leases and outbox
        await service.tokens.create_table()
        notifier, recovery = service.notifier.start(), service.turns.start_recovery()
        warming = asyncio.create_task(_warm_up(agents, settings))
        yield
        if service.background:
            await asyncio.wait(service.background, timeout=30)
        for loop in (notifier, recovery, warming):
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        await asyncio.to_thread(service.turns.inbox.close)
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
    app.state.service = service

    app.add_middleware(edge.GuardAdkApi, settings=settings)
    app.add_exception_handler(RequestValidationError, edge.unprocessable)
    app.max_body_size = settings.max_body_bytes  # FastAPI's own cap: 413 before reading past it

    for module in (probes, chat, messages, webhook, operator, panels):
        app.include_router(module.routes(service))
    return app


async def _warm_up(agents: dict[str, BaseAgent], settings: Settings) -> None:
    """With specialists pinned to llama.cpp slots, each one's fixed prefix is cached before the first customer."""
    if settings.llm_model == "scripted" or not settings.llm_slots:
        return
    from tools.llm.warmup import warm_up  # imports LiteLLM: only with a real model

    for name, agent in agents.items():
        costs = await warm_up(agent, name)
        log.info("%s: %d specialists' prefixes cached in the model server", name, sum(c is not None for c in costs.values()))


def startup_warnings(settings: Settings) -> list[str]:
    """Features that stay closed because their secret is not configured (named by variable)."""
    missing = {
        "JWT_SECRET": (settings.jwt_secret, "/v1/chat refuses every request"),
        "SERVER_API_KEY": (settings.server_api_key, "no tokens can be issued and ADK's API is closed"),
        "OPERATOR_TOKEN": (settings.operator_token, "the operator endpoints refuse every request"),
        "PANEL_SECRET": (settings.panel_secret, "the staff panels (/panel/...) refuse every login"),
        "WHATSAPP_APP_SECRET": (settings.whatsapp_app_secret, "WhatsApp deliveries are refused (403)"),
    }
    return [f"{name} is not set: {effect}" for name, (value, effect) in missing.items() if not value]
