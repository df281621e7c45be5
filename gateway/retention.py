"""How long the service keeps conversations: `python -m gateway.retention purge [--days N]`.

Deletes what is older than RETENTION_DAYS (default 90; `--days` overrides), measured
from the last activity: ADK sessions not updated since (with their events and handoff
index rows), inbox messages answered before it, outbox messages written before it and
sent, failed or stored (web replies, read by polling). Orders, customers and the pizzeria's files are business records and are kept.
Pending inbox messages and undelivered outbox messages are never purged. Run it daily
(cron, a Kubernetes CronJob); it is idempotent and safe beside running replicas.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from google.adk.sessions.schemas.v1 import StorageEvent, StorageSession
from sqlalchemy import Connection, and_, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway import session_tables
from gateway.inbox import create_tables, inbox
from gateway.outbox import outbox
from gateway.sessions import CachedDatabaseSessionService, create_session_service
from tools.settings import get_settings
from tools.shop.runtime import business_engine, ensure_schema

_sessions, _events = StorageSession.__table__, StorageEvent.__table__


def _purge_sessions(conn: Connection, cutoff: datetime) -> dict[str, int]:
    old = (_sessions.c.update_time < cutoff)
    owner = and_(_sessions.c.app_name == _events.c.app_name, _sessions.c.user_id == _events.c.user_id,
                 _sessions.c.id == _events.c.session_id, old)
    events = conn.execute(delete(_events).where(exists(select(_sessions.c.id).where(owner)))).rowcount
    sessions = conn.execute(delete(_sessions).where(old)).rowcount
    index = session_tables.handoffs
    alive = and_(_sessions.c.app_name == index.c.app_name, _sessions.c.id == index.c.session_id)
    handoffs = conn.execute(delete(index).where(~exists(select(_sessions.c.id).where(alive)))).rowcount
    return {"sessions": sessions, "events": events, "handoffs": handoffs}


async def purge_sessions(service: CachedDatabaseSessionService, cutoff: datetime) -> dict[str, int]:
    await service.prepare_tables()
    naive = cutoff.astimezone(UTC).replace(tzinfo=None)  # ADK stores naive UTC
    async with service.db_engine.begin() as conn:
        return await conn.run_sync(lambda sync: _purge_sessions(sync, naive))


async def purge_messages(engine: AsyncEngine, cutoff: datetime) -> dict[str, int]:
    before = cutoff.timestamp()
    await ensure_schema(engine)
    await create_tables(engine)
    async with engine.begin() as conn:
        answered = await conn.execute(delete(inbox).where(inbox.c.status == "done", inbox.c.done_at < before))
        delivered = await conn.execute(delete(outbox).where(outbox.c.state.in_(("stored", "sent", "failed")), outbox.c.created_at < before))
    return {"inbox": answered.rowcount, "outbox": delivered.rowcount}


async def purge(days: int | None = None, now: datetime | None = None) -> dict[str, int]:
    """Delete conversations and answered messages older than `days` (RETENTION_DAYS); counts per table."""
    settings = get_settings()
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days or settings.retention_days)
    service = create_session_service(settings.session_db_url)
    engine = business_engine()
    try:
        counts = await purge_sessions(service, cutoff) if isinstance(service, CachedDatabaseSessionService) else {}
        return counts | await purge_messages(engine, cutoff)
    finally:
        await service.close()
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.retention", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("purge", help="delete what is older than RETENTION_DAYS")
    run.add_argument("--days", type=int, default=None, help="override RETENTION_DAYS")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = asyncio.run(purge(args.days))
    print(json.dumps({"deleted": counts, "seconds": round(time.perf_counter() - started, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
