"""RETENTION_DAYS and `python -m gateway.retention purge`: old conversations and answered messages go, orders stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.inbox import inbox
from gateway.retention import main, purge
from tests.chat import saved_orders
from tests.gateway.conftest import Service, token


async def _count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(_tables()[table]))).scalar_one()


def _tables() -> dict[str, object]:
    from google.adk.sessions.schemas.v1 import StorageEvent, StorageSession
    return {"sessions": StorageSession.__table__, "events": StorageEvent.__table__, "inbox": inbox}


async def test_purge_deletes_only_what_is_older_than_retention_and_keeps_orders(service: Service) -> None:
    bearer = token("5491100000931")
    for text in ["hola", "me llamo Ana", "dos muzzas grandes", "eso es todo", "sí", "Av. Corrientes 1234", "efectivo"]:
        assert (await service.chat("pizzeria", text, bearer)).status_code == 200
    gateway = service.app.state.service
    sessions, business = gateway.sessions.db_engine, gateway.engine
    assert await _count(sessions, "events") > 0 and await _count(business, "inbox") == 7

    assert await purge() == {"sessions": 0, "events": 0, "handoffs": 0, "inbox": 0, "outbox": 0}  # all recent
    later = await purge(now=datetime.now(UTC) + timedelta(days=91))  # RETENTION_DAYS defaults to 90
    assert later["sessions"] == 1 and later["events"] > 0 and later["inbox"] == 7
    assert await _count(sessions, "sessions") == await _count(sessions, "events") == await _count(business, "inbox") == 0
    assert len(saved_orders()) == 1, "orders are business records: kept"
    reply = await service.chat("pizzeria", "hola", bearer)  # the customer starts afresh, and is still known
    assert reply.status_code == 200 and "Ana" in reply.json()["reply"]


def test_purge_command_prints_the_counts(service_env: None, shop: AsyncEngine, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["purge", "--days", "1"]) == 0
    assert '"deleted"' in capsys.readouterr().out
