"""Schema creation is idempotent and versioned: an existing database upgrades in place."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.shop import db
from tools.shop.schema import categories, schema_version


async def test_migrate_is_idempotent(engine: AsyncEngine) -> None:
    assert await db.migrate(engine) == db.SCHEMA_VERSION
    assert await db.migrate(engine) == db.SCHEMA_VERSION
    async with engine.connect() as conn:
        rows = (await conn.execute(select(schema_version))).all()
    assert [tuple(r) for r in rows] == [(1, db.SCHEMA_VERSION)]


async def test_an_old_database_upgrades_and_keeps_its_data(engine: AsyncEngine) -> None:
    # Roll the fixture's database back to version 1 (as an older release left it).
    async with engine.begin() as conn:
        await conn.execute(schema_version.update().values(version=1))
        await conn.exec_driver_sql("DROP INDEX ix_products_updated_at")
        await conn.execute(categories.insert().values(id="tv", name="TV", description=""))
    assert await db.migrate(engine) == db.SCHEMA_VERSION
    async with engine.connect() as conn:
        indexes = await conn.run_sync(lambda s: {i["name"] for i in inspect(s).get_indexes("products")})
        kept = (await conn.execute(select(categories.c.name))).scalars().all()
    assert "ix_products_updated_at" in indexes
    assert kept == ["TV"]
