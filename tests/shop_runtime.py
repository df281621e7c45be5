"""Fixtures for tests that run the shop through `tools.shop.runtime`: a seeded SQLite shop and
its Chroma index built once per module from nothing, and a per-test copy of the database."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.settings import get_settings
from tools.shop import runtime, tool_common
from tools.shop.schema import products
from tools.shop.seed import default_reference


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A seeded shop database and synced Chroma directory, built by the runtime from nothing."""
    root = tmp_path_factory.mktemp("shop-template")
    paths = {"db": root / "shop.db", "chroma": root / "chroma"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{paths['db']}")
        mp.setenv("CHROMA_PATH", str(paths["chroma"]))
        mp.delenv("CHROMA_URL", raising=False)
        mp.delenv("CARRIER_API_URL", raising=False)
        get_settings.cache_clear()
        runtime.reset_runtime()

        async def build() -> None:
            engine, again = await asyncio.gather(runtime.get_engine(), runtime.get_engine())
            assert engine is again, "concurrent first use builds one engine"
            index = await runtime.get_index()
            assert await runtime.get_engine() is engine and await runtime.get_index() is index
            async with engine.connect() as conn:
                assert (await conn.execute(select(func.count()).select_from(products))).scalar() == 300
            assert index.products.count() > 0 and index.kb.count() > 0
            await runtime.dispose_runtime()

        asyncio.run(build())
        get_settings.cache_clear()
    yield paths


FIXED_NOW = default_reference() + timedelta(hours=15)
"""The seed's promotions and shipments are relative to today 00:00 UTC; tools see 15:00 UTC."""


@contextlib.asynccontextmanager
async def shop_runtime_on(
    mp: pytest.MonkeyPatch, database_url: str, chroma_path: Path | None = None
) -> AsyncIterator[AsyncEngine]:
    """The shop runtime on `database_url` (tools see FIXED_NOW), disposed afterwards."""
    mp.setenv("DATABASE_URL", database_url)
    if chroma_path is not None:
        mp.setenv("CHROMA_PATH", str(chroma_path))
    mp.delenv("CHROMA_URL", raising=False)
    mp.delenv("CARRIER_API_URL", raising=False)
    mp.setattr(tool_common, "now", lambda: FIXED_NOW)
    get_settings.cache_clear()
    runtime.reset_runtime()
    try:
        yield await runtime.get_engine()
    finally:
        await runtime.dispose_runtime()
        get_settings.cache_clear()


@pytest.fixture
async def shop(template: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncEngine]:
    """This test's own copy of the seeded database; the runtime engine over it."""
    db = tmp_path / "shop.db"
    shutil.copyfile(template["db"], db)
    async with shop_runtime_on(monkeypatch, f"sqlite+aiosqlite:///{db}", template["chroma"]) as engine:
        yield engine
