"""Engine, connections and versioned schema migrations, one code path for SQLite and PostgreSQL.

`DATABASE_URL` selects the engine: `sqlite+aiosqlite:///path.db` (the embedded
default, a file created and migrated on first use) or
`postgresql+asyncpg://user@host:5432/db`. SQLAlchemy Core builds every statement,
so all SQL is parameterized; the few dialect differences (pragmas, advisory
locks) live here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tools.shop.schema import metadata, schema_version

log = logging.getLogger(__name__)

MIGRATION_LOCK_ID = 7_310_001  # pg_advisory_xact_lock key for migrations


def _v1_create_tables(conn: Connection) -> None:
    metadata.create_all(conn, checkfirst=True)


def _v2_index_products_updated_at(conn: Connection) -> None:
    # Incremental search indexing scans products changed since the last sync.
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_products_updated_at ON products (updated_at)"))


MIGRATIONS: list[Callable[[Connection], None]] = [_v1_create_tables, _v2_index_products_updated_at]
"""Schema version N is reached by running MIGRATIONS[N-1]. Append only; each step must be
safe on a database that `_v1_create_tables` created from the current metadata."""

SCHEMA_VERSION = len(MIGRATIONS)


def create_engine(url: str, schema: str | None = None) -> AsyncEngine:
    """An async engine for `url`; `schema` sets PostgreSQL's search_path (tests use one per run)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"server_settings": {"search_path": schema}} if schema else {}
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def is_sqlite(conn: AsyncConnection | AsyncEngine) -> bool:
    return conn.dialect.name == "sqlite"


async def current_version(conn: AsyncConnection) -> int:
    has_table = await conn.run_sync(lambda sync: inspect(sync).has_table("schema_version"))
    if not has_table:
        return 0
    version = (await conn.execute(select(schema_version.c.version).where(schema_version.c.id == 1))).scalar()
    return int(version or 0)


async def migrate(engine: AsyncEngine, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to `target`, idempotently; returns the version reached.

    Runs in one transaction; on PostgreSQL an advisory lock keeps concurrent
    starts (several app replicas) from migrating twice.
    """
    async with engine.begin() as conn:
        if not is_sqlite(conn):
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_ID})
        version = await current_version(conn)
        for step in range(version, target):
            log.info("migrating shop schema to version %d", step + 1)
            await conn.run_sync(MIGRATIONS[step])
        if target > version:
            if version == 0:
                await conn.execute(schema_version.insert().values(id=1, version=target))
            else:
                await conn.execute(schema_version.update().where(schema_version.c.id == 1).values(version=target))
        return max(version, target)
