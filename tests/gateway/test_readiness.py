"""`/readyz` names the component that is down (503) while `/healthz` stays up (200).

The database here is a private PostgreSQL the test starts and stops itself; the model
server is an address nothing listens on.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from tests.gateway.conftest import Service, open_service
from tests.reliability.pg_private import PrivatePostgres, private_pg  # noqa: F401  (fixture)
from tools.settings import get_settings
from tools.shop import runtime


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def on_private_pg(service_env: None, private_pg: PrivatePostgres, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Service]:  # noqa: F811
    monkeypatch.setenv("DATABASE_URL", private_pg.url)
    monkeypatch.setenv("DATABASE_SCHEMA", "readyz")
    get_settings.cache_clear()
    runtime.reset_runtime()
    async for service in open_service():
        yield service
    await runtime.dispose_runtime()


async def test_a_stopped_database_is_reported_down_and_back_up(on_private_pg: Service, private_pg: PrivatePostgres) -> None:  # noqa: F811
    client = on_private_pg.client
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["components"]["database"]["status"] == "up"
    private_pg.stop("immediate")
    try:
        down = await client.get("/readyz")
        assert down.status_code == 503
        components = down.json()["components"]
        assert components["database"]["status"] == "down" and components["sessions"]["status"] == "up"
        assert (await client.get("/healthz")).status_code == 200
    finally:
        private_pg.start()
    assert (await client.get("/readyz")).status_code == 200  # reconnects by itself


async def test_a_model_server_that_does_not_answer_is_reported_down(service_env: None, shop, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LLM_MODEL", "ollama_chat/qwen2.5:7b")
    monkeypatch.setenv("OLLAMA_API_BASE", f"http://127.0.0.1:{_closed_port()}")
    get_settings.cache_clear()
    async for service in open_service():  # the agents themselves run on the scripted model
        response = await service.client.get("/readyz")
        assert response.status_code == 503
        components = response.json()["components"]
        assert components["model_server"]["status"] == "down" and components["database"]["status"] == "up"
        assert (await service.client.get("/healthz")).json() == {"status": "ok"}
