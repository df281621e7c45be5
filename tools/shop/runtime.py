"""Process-wide shop resources for the agent tools: one database engine and one search index.

Both are created on first use, under an `asyncio.Lock`, from `get_settings()`:

- `get_engine()` opens `DATABASE_URL` (default: the embedded SQLite file
  `.data/shop.db`), migrates it and, when it has no products yet, seeds it with the
  standard 300-product shop, so a fresh clone works with no setup step.
- `get_index()` opens the Chroma collections (`CHROMA_PATH` or `CHROMA_URL`) and runs
  `sync_index` once, embedding only what is new or changed.

An async engine belongs to the event loop it was first used in; if a different loop
asks (tests, or a second `asyncio.run`) fresh resources are built for it. Tests call
`reset_runtime()` after changing the environment (and `get_settings.cache_clear()`),
or `await dispose_runtime()` to also close the engine's connections.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.settings import get_settings
from tools.shop.cache import CATALOG, PROMOTIONS, get_cache
from tools.shop.db import create_engine, migrate
from tools.shop.search_index import SearchIndex, sync_index
from tools.shop.seed import seed

log = logging.getLogger(__name__)

SEED_PRODUCTS = 300


@dataclass
class _Runtime:
    loop: asyncio.AbstractEventLoop
    lock: asyncio.Lock
    engine: AsyncEngine | None = None
    index: SearchIndex | None = None


_runtime: _Runtime | None = None


def _current() -> _Runtime:
    global _runtime
    loop = asyncio.get_running_loop()
    if _runtime is None or _runtime.loop is not loop:
        _runtime = _Runtime(loop=loop, lock=asyncio.Lock())
    return _runtime


async def get_engine() -> AsyncEngine:
    """The shop database, migrated and (if empty) seeded on first use."""
    runtime = _current()
    if runtime.engine is not None:
        return runtime.engine
    async with runtime.lock:
        if runtime.engine is None:
            engine = business_engine()
            try:
                await ensure_schema(engine)
                await migrate(engine)
                summary = await seed(engine, products=SEED_PRODUCTS)
                if summary.seeded:
                    log.info("shop database seeded with %d products", SEED_PRODUCTS)
                    await get_cache().invalidate(CATALOG, PROMOTIONS)  # a shared cache may hold an older database's rows
            except BaseException:
                await engine.dispose()
                raise
            runtime.engine = engine
    return runtime.engine


def business_engine() -> AsyncEngine:
    """An engine on `DATABASE_URL`; on PostgreSQL our tables live in `DATABASE_SCHEMA`, apart from ADK's."""
    settings = get_settings()
    postgres = settings.database_url.startswith("postgresql")
    return create_engine(settings.database_url, schema=settings.database_schema if postgres else None)


async def ensure_schema(engine: AsyncEngine) -> None:
    """Create the PostgreSQL schema of our tables if it is missing (no-op on SQLite)."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{get_settings().database_schema}"'))


async def get_index() -> SearchIndex:
    """The semantic search index, synced with the database once on first use."""
    runtime = _current()
    if runtime.index is not None:
        return runtime.index
    engine = await get_engine()
    async with runtime.lock:
        if runtime.index is None:
            index = await asyncio.to_thread(SearchIndex)  # loads the embedding model: blocking
            report = await sync_index(engine, index)
            log.info("search index synced: %d documents embedded in %.1f s", report.embedded, report.seconds)
            runtime.index = index
    return runtime.index


def reset_runtime() -> None:
    """Forget the engine and index (next use rebuilds them from the current settings)."""
    global _runtime
    _runtime = None


async def dispose_runtime() -> None:
    """Close the engine's connections and forget everything (for tests and shutdown)."""
    global _runtime
    runtime, _runtime = _runtime, None
    if runtime is not None and runtime.engine is not None:
        await runtime.engine.dispose()
