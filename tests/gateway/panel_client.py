"""Driving a staff panel over HTTP as a browser would: the login form, the CSRF token, the live fragment."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.gateway.conftest import Service, open_service
from tools.settings import get_settings

PANEL_SECRET = "panel-secret-for-tests-0123456789ab"
_NONCE = re.compile(r'name="csrf" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf" content="([^"]+)"')


async def login(client: httpx.AsyncClient, agent: str, name: str = "Marta", password: str = PANEL_SECRET) -> httpx.Response:
    """Open the panel (its login form) and submit it; the client keeps the session cookie."""
    form = await client.get(f"/panel/{agent}")
    nonce = _NONCE.search(form.text)
    assert nonce, form.text[:500]
    return await client.post(f"/panel/{agent}/login", data={"name": name, "password": password, "csrf": nonce.group(1)})


async def csrf(client: httpx.AsyncClient, agent: str) -> str:
    page = await client.get(f"/panel/{agent}")
    token = _META.search(page.text)
    assert page.status_code == 200 and token, page.text[:500]
    return token.group(1)


async def post(client: httpx.AsyncClient, agent: str, path: str, token: str, **form: str) -> httpx.Response:
    return await client.post(f"/panel/{agent}{path}", data={"csrf": token, **form}, headers={"Accept": "application/json"})


@pytest.fixture(name="panel")
async def panel_service(service_env: None, shop: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Service]:
    """The service with its panels open (`PANEL_SECRET` set)."""
    monkeypatch.setenv("PANEL_SECRET", PANEL_SECRET)
    get_settings.cache_clear()
    async for service in open_service():
        yield service
