"""No phone, e-mail or address in clear at rest: a real conversation through the HTTP service, then every
table of every database the service writes and every file under the test's data directory is searched.

The pizzeria customer gives a delivery address, the shop customer (seeded C0001, whose
user id is their phone) writes their e-mail and phone. A failure names each place that
holds one of them in clear (`table.column` or a file path).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.gateway.conftest import SERVER_KEY, Service, open_service, token
from tools.settings import get_settings

PG_SERVER = "postgresql+asyncpg://root@127.0.0.1:5432"

PIZZA_PHONE = "5491100000912"
ADDRESS = "Av. Siempreviva 742"
SHOP_PHONE = "5491160000001"  # seeded customer C0001
EMAIL = "ana.privada@correo-test.com.ar"


def _hits(value: object, needles: dict[str, str]) -> list[str]:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return [name for name, needle in needles.items() if needle in text]


async def _leaks_in_tables(engine: AsyncEngine, needles: dict[str, str]) -> set[str]:
    found = set()
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: (meta := MetaData(), meta.reflect(sync))[0].sorted_tables)
        for table in tables:
            for row in (await conn.execute(select(table))).all():
                for column, value in zip(table.columns, row):
                    found |= {f"{table.name}.{column.name}: {what}" for what in _hits(value, needles)}
    return found


def _leaks_in_files(root: Path, needles: dict[str, str]) -> set[str]:
    return {f"{path.relative_to(root)}: {what}" for path in root.rglob("*") if path.is_file()
            for what in _hits(path.read_bytes(), needles)}


@pytest.fixture(params=["sqlite", "postgresql"])
async def service_on(request: pytest.FixtureRequest, service_env: None, shop: AsyncEngine,
                     monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Service]:
    """The service with its sessions on a SQLite file, or on a PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        async for s in open_service():
            yield s
        return
    name = f"t_pii_{uuid.uuid4().hex[:10]}"
    server = create_async_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    async with server.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    monkeypatch.setenv("SESSION_DB_URL", f"{PG_SERVER}/{name}")
    get_settings.cache_clear()
    try:
        async for s in open_service():
            yield s
            await s.app.state.service.sessions.close()
    finally:
        async with server.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await server.dispose()


async def test_no_phone_email_or_address_in_clear_anywhere_the_service_writes(service_on: Service, tmp_path: Path) -> None:
    service = service_on
    pizza = token(PIZZA_PHONE)
    for said in ["hola", "me llamo Ana", "dos muzzas grandes", "eso es todo", "sí", ADDRESS]:
        assert (await service.chat("pizzeria", said, pizza)).status_code == 200
    shop = token(SHOP_PHONE)
    for said in ["hola", f"mi mail es {EMAIL} y mi cel {SHOP_PHONE}", "quiero ver mis pedidos"]:
        assert (await service.chat("ecommerce", said, shop)).status_code == 200
    revoked = await service.client.post("/v1/tokens/revoke", json={"subject": PIZZA_PHONE}, headers={"X-API-Key": SERVER_KEY})
    assert revoked.status_code == 200, revoked.text  # the token version table holds the subject too

    needles = {"pizzeria phone": PIZZA_PHONE, "address": ADDRESS, "shop phone": SHOP_PHONE, "e-mail": EMAIL}
    gateway = service.app.state.service
    engines = {"business": gateway.engine, "sessions": gateway.sessions.db_engine}
    leaks = set()
    for name, engine in engines.items():
        leaks |= {f"{name} {leak}" for leak in await _leaks_in_tables(engine, needles)}
    leaks |= {f"file {leak}" for leak in _leaks_in_files(tmp_path, needles)}
    assert not leaks, "in clear at rest:\n" + "\n".join(sorted(leaks))
