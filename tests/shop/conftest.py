"""Every shop test runs against both engines: an SQLite file and real PostgreSQL.

PostgreSQL is the machine's server (127.0.0.1:5432, database `test`, trust auth;
`TEST_DATABASE_URL` overrides). Each test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.shop.db import create_engine, migrate

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://root@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty shop database on each engine."""
    if request.param == "sqlite":
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
        await migrate(eng)
        yield eng
        await eng.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = create_engine(PG_URL, schema=schema)
    try:
        await migrate(eng)
        yield eng
    finally:
        await eng.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
