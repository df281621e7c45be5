"""The service in-process (httpx over ASGI, lifespan run) on the seeded shop and scripted agents."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.fake_graph import FakeGraph
from ecommerce_agent.agent import build_agent as build_shop
from ecommerce_agent.demo_policy import demo_policy as shop_policy
from gateway.app import create_app
from pizzeria_agent.agent import build_agent as build_pizzeria
from pizzeria_agent.demo_policy import demo_policy as pizzeria_policy
from tools.llm.scripted import ScriptedLlm
from tools.settings import get_settings

SECRET = "test-jwt-secret-0123456789abcdef0123456789"
SERVER_KEY = "server-key-for-tests-0123456789abcdef"
OPERATOR = "operator-token-for-tests-0123456789ab"
APP_SECRET = "whatsapp-app-secret-0123456789abcdef"
VERIFY = "verify-me-0123456789abcdef0123456789"


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    """A running `FakeGraph`, stopped after the test."""
    with FakeGraph() as graph:
        yield graph


@pytest.fixture
def service_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("SERVER_API_KEY", SERVER_KEY)
    monkeypatch.setenv("OPERATOR_TOKEN", OPERATOR)
    monkeypatch.setenv("WHATSAPP_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", VERIFY)
    monkeypatch.setenv("SESSION_DB_URL", f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}")
    get_settings.cache_clear()


class Service:
    """An app with its lifespan running and a client; `models` are the scripted models per agent."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, models: dict[str, ScriptedLlm]) -> None:
        self.app, self.client, self.models = app, client, models

    async def chat(self, agent: str, text: str, token: str | None, **extra: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update({k.replace("_", "-"): str(v) for k, v in extra.items()})
        return await self.client.post(f"/v1/chat/{agent}", json={"text": text}, headers=headers)


async def open_service(sender: object | None = None) -> AsyncIterator[Service]:
    models = {"pizzeria": ScriptedLlm(policy=pizzeria_policy), "ecommerce": ScriptedLlm(policy=shop_policy)}
    agents = {"pizzeria": build_pizzeria(models["pizzeria"]), "ecommerce": build_shop(models["ecommerce"])}
    app = create_app(agents=agents, sender=sender)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield Service(app, client, models)


@pytest.fixture
async def service(service_env: None, shop: AsyncEngine) -> AsyncIterator[Service]:
    async for s in open_service():
        yield s


def token(subject: str, role: str = "customer", *, secret: str = SECRET, ttl: int = 600, **claims: object) -> str:
    now = int(time.time())
    body = {"sub": subject, "role": role, "iat": now, "exp": now + ttl, "iss": "local-shop-agents", **claims}
    return jwt.encode(body, secret, algorithm="HS256")
