"""Token revocation: a per-customer token version, checked on every request.

Each issued token carries the customer's current version (claim `ver`; a token
without one is version 0). `POST /v1/tokens/revoke` (server key) raises the version,
and from then on every token issued before is refused (401), on every replica: the
version lives in our business database (`gateway_token_versions`), read on each
request by its primary key: the subject's keyed pseudonym (`tools.crypto`), never the
subject itself (a phone, for WhatsApp-style subjects).
"""

from __future__ import annotations

import time

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.crypto import get_cipher

metadata = MetaData()

token_versions = Table(
    "gateway_token_versions",
    metadata,
    Column("subject", String(64), primary_key=True),  # pseudonym(subject)
    Column("version", Integer, nullable=False),
    Column("revoked_at", Float, nullable=False),
)

CREATE_LOCK_ID = 7_310_016  # pg_advisory_xact_lock key: replicas starting together create the table once


class TokenVersions:
    """The current token version of each customer (0 until revoked once)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create_table(self) -> None:
        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CREATE_LOCK_ID})
            await conn.run_sync(metadata.create_all, checkfirst=True)

    async def current(self, subject: str) -> int:
        async with self.engine.connect() as conn:
            key = get_cipher().pseudonym(subject)
            version = await conn.scalar(select(token_versions.c.version).where(token_versions.c.subject == key))
        return version or 0

    async def revoke(self, subject: str) -> int:
        """Refuse every token of `subject` issued so far; the new version, which tokens issued from now on carry."""
        async with self.engine.begin() as conn:
            insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            statement = insert(token_versions).values(subject=get_cipher().pseudonym(subject), version=1, revoked_at=time.time())
            statement = statement.on_conflict_do_update(
                index_elements=[token_versions.c.subject],
                set_={"version": token_versions.c.version + 1, "revoked_at": statement.excluded.revoked_at},
            ).returning(token_versions.c.version)
            return int((await conn.execute(statement)).scalar_one())
