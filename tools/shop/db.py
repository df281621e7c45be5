"""Engine, connections and versioned schema migrations, one code path for SQLite and PostgreSQL.

`DATABASE_URL` selects the engine: `sqlite+aiosqlite:///path.db` (the embedded
default, a file created and migrated on first use) or
`postgresql+asyncpg://user@host:5432/db`. SQLAlchemy Core builds every statement,
so all SQL is parameterized; the few dialect differences (pragmas, advisory
locks) live here, and so does `reseal_all`, the sweep that (re-)encrypts every
`ENCRYPTED_COLUMNS` value under the newest key (`python -m tools.key_rotation rotate`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, and_, event, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tools.crypto import get_cipher
from tools.shop.schema import ENCRYPTED_COLUMNS, customers, metadata, schema_version

log = logging.getLogger(__name__)

MIGRATION_LOCK_ID = 7_310_001  # pg_advisory_xact_lock key for migrations


def _v1_create_tables(conn: Connection) -> None:
    metadata.create_all(conn, checkfirst=True)


def _v2_index_products_updated_at(conn: Connection) -> None:
    # Incremental search indexing scans products changed since the last sync.
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_products_updated_at ON products (updated_at)"))


def _v3_encrypt_contact_data(conn: Connection) -> None:
    # Add the phone lookup hash, widen the contact columns for tokens (SQLite does not
    # enforce lengths), then encrypt every plaintext value and hash every phone.
    if "phone_hash" not in {c["name"] for c in inspect(conn).get_columns("customers")}:
        conn.execute(text("ALTER TABLE customers ADD COLUMN phone_hash VARCHAR(64)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_customers_phone_hash ON customers (phone_hash)"))
    if conn.dialect.name != "sqlite":
        for table, column in (("customers", "email"), ("customers", "phone"), ("outbox", "recipient")):
            conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT"))
    for table, columns in ENCRYPTED_COLUMNS:
        _reseal_table(conn, table, tuple(c for c in columns if c != "user_ref"), rehash=True)  # user_ref: v5


def _v5_pseudonymous_user_ids(conn: Connection) -> None:
    # customers.user_id held the phone (or token subject) in clear: keep it encrypted in
    # user_ref and replace it by its keyed pseudonym.
    if "user_ref" not in {c["name"] for c in inspect(conn).get_columns("customers")}:
        conn.execute(text("ALTER TABLE customers ADD COLUMN user_ref TEXT"))
    cipher = get_cipher()
    for key, user_id in conn.execute(select(customers.c.id, customers.c.user_id).where(customers.c.user_ref.is_(None))).all():
        conn.execute(update(customers).where(customers.c.id == key).values(
            user_ref=cipher.encrypt(user_id), user_id=cipher.pseudonym(user_id)))


def _v4_turn_keys(conn: Connection) -> None:
    # The service turn that wrote a ticket, redemption or invoice: a retried turn finds it
    # (one ticket per turn; redemptions and invoices are already once per customer / order).
    for table in ("support_tickets", "coupon_redemptions", "invoices"):
        if "turn_key" not in {c["name"] for c in inspect(conn).get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN turn_key VARCHAR(64)"))
    conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS uq_support_tickets_turn_key ON support_tickets (turn_key)"))


MIGRATIONS: list[Callable[[Connection], None]] = [
    _v1_create_tables, _v2_index_products_updated_at, _v3_encrypt_contact_data, _v4_turn_keys,
    _v5_pseudonymous_user_ids,
]
"""Schema version N is reached by running MIGRATIONS[N-1]. Append only; each step must be
safe on a database that `_v1_create_tables` created from the current metadata."""

SCHEMA_VERSION = len(MIGRATIONS)


def create_engine(url: str, schema: str | None = None) -> AsyncEngine:
    """An async engine for `url`; `schema` sets PostgreSQL's search_path (tests use one per run).

    Statement parameters (customer text, contact data) never appear in an error's message or a log line.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"server_settings": {"search_path": schema}} if schema else {}
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args=connect_args,
                               hide_parameters=True)


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


def reseal_batch(conn: Connection, table: Table, columns: tuple[str, ...], *, after: Any = None, limit: int = 500,
                 rehash: bool = False) -> tuple[int, Any]:
    """Re-encrypt `columns` under the newest key for up to `limit` rows whose primary key follows `after`.

    Plaintext values get encrypted. With `rehash`, `customers.phone_hash` and `customers.user_id`
    are recomputed from the decrypted phone and user id. Each row is written only if it still holds what was read,
    so a concurrent update is never overwritten. Returns (rows read, the primary key to
    continue after, or None when the table is done).
    """
    (key,) = table.primary_key.columns
    query = select(key, *(table.c[c] for c in columns)).order_by(key).limit(limit)
    rows = conn.execute(query if after is None else query.where(key > after)).all()
    cipher = get_cipher()
    for row in rows:
        old = dict(zip(columns, row[1:]))
        values = {c: cipher.rotate(v) for c, v in old.items()}
        if rehash and table is customers:
            phone = cipher.decrypt(old["phone"])
            values["phone_hash"] = cipher.lookup_hash(phone) if phone else None
            if user_ref := cipher.decrypt(old.get("user_ref")):
                values["user_id"] = cipher.pseudonym(user_ref)
        unchanged = [table.c[c].is_(None) if v is None else table.c[c] == v for c, v in old.items()]
        conn.execute(update(table).where(and_(key == row[0], *unchanged)).values(values))
    return len(rows), (rows[-1][0] if len(rows) == limit else None)


def _reseal_table(conn: Connection, table: Table, columns: tuple[str, ...], rehash: bool) -> None:
    after = None
    while (after := reseal_batch(conn, table, columns, after=after, rehash=rehash)[1]) is not None:
        pass


async def reseal_all(engine: AsyncEngine, *, rehash: bool = False, batch: int = 500) -> dict[str, int]:
    """`reseal_batch` over every encrypted table, one transaction per batch; rows handled per table."""
    counts: dict[str, int] = {}
    for table, columns in ENCRYPTED_COLUMNS:
        after, counts[table.name] = None, 0
        while True:
            async with engine.begin() as conn:
                start = after
                done, after = await conn.run_sync(
                    lambda sync: reseal_batch(sync, table, columns, after=start, limit=batch, rehash=rehash))
            counts[table.name] += done
            if after is None:
                break
    return counts
