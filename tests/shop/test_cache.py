"""The shop cache: in-process and real Redis (127.0.0.1:6379), invalidation across
replicas, a Redis outage (a closed port, and a proxy that is cut and restored), and the
agent tools end to end: same answers cached and uncached, hits instead of queries,
redemptions and the clock reflected at once."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.shop_runtime import FIXED_NOW
from tools.settings import get_settings
from tools.shop import catalog_tools, product_tools, promotion_tools, tool_common
from tools.shop.cache import (
    CATALOG,
    PROMOTIONS,
    MemoryCache,
    RedisCache,
    get_cache,
    reset_cache,
)
from tools.shop.schema import categories, promotions

REDIS = "redis://127.0.0.1:6379/0"
CLOSED = "redis://127.0.0.1:1/0"
BASIC, PREMIUM = "5491160000001", "5491160000002"


class Loads:
    """A loader that counts how often the cache had to call it."""

    def __init__(self, value: Any) -> None:
        self.value, self.calls = value, 0

    async def __call__(self) -> Any:
        self.calls += 1
        return self.value


async def delete_prefix(prefix: str) -> None:
    client = Redis.from_url(REDIS)
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    name = f"test-cache:{uuid.uuid4().hex}:"
    yield name
    await delete_prefix(name)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    reset_cache()
    yield
    reset_cache()


# --------------------------------------------------------------------------- in-process


async def test_memory_cache_expires_and_stays_bounded() -> None:
    clock = [0.0]
    cache = MemoryCache(ttl=60, max_entries=2, clock=lambda: clock[0])
    version = await cache.version(CATALOG)
    await cache.set_json(CATALOG, version, "a", {"precio": "1.5"})
    clock[0] = 59.9
    assert await cache.get_json(CATALOG, version, "a") == {"precio": "1.5"}
    clock[0] = 60.0
    assert await cache.get_json(CATALOG, version, "a") is None
    assert (cache.hits, cache.misses) == (1, 1)

    for key in ("b", "c"):
        await cache.set_json(CATALOG, version, key, key)
    assert await cache.get_json(CATALOG, version, "b") == "b"  # b is now the most recently used
    await cache.set_json(CATALOG, version, "d", "d")
    assert [await cache.get_json(CATALOG, version, k) for k in "bcd"] == ["b", None, "d"]

    off = MemoryCache(ttl=0)
    await off.set_json(CATALOG, 0, "a", 1)
    assert await off.get_json(CATALOG, 0, "a") is None


async def test_memory_invalidation_is_per_namespace_and_beats_slow_readers() -> None:
    cache = MemoryCache(ttl=60)
    tree, promos = Loads(["raíz"]), Loads([1, 2])
    for _ in range(2):
        assert await cache.remember(CATALOG, "tree", tree) == ["raíz"]
        assert await cache.remember(PROMOTIONS, "C1", promos) == [1, 2]
    assert tree.calls == promos.calls == 1

    read_before = await cache.version(PROMOTIONS)  # a reader that started before the write...
    await cache.invalidate(PROMOTIONS)
    await cache.set_json(PROMOTIONS, read_before, "C1", ["viejo"])  # ...stores what it read too late
    assert await cache.remember(PROMOTIONS, "C1", promos) == [1, 2] and promos.calls == 2
    assert await cache.remember(CATALOG, "tree", tree) == ["raíz"] and tree.calls == 1


def test_one_cache_serves_every_event_loop(prefix: str) -> None:
    memory, shared = MemoryCache(ttl=60), RedisCache(REDIS, ttl=60, prefix=prefix)

    async def write() -> None:
        for cache in (memory, shared):
            await cache.set_json(CATALOG, await cache.version(CATALOG), "k", "v")

    async def read() -> list[Any]:
        found = [await cache.get_json(CATALOG, await cache.version(CATALOG), "k") for cache in (memory, shared)]
        await shared.aclose()
        return found

    asyncio.run(write())
    assert asyncio.run(read()) == ["v", "v"]


# --------------------------------------------------------------------------- Redis


async def test_redis_round_trip_with_ttl(prefix: str) -> None:
    cache = RedisCache(REDIS, ttl=120, prefix=prefix)
    version = await cache.version(CATALOG)
    assert version == 0
    await cache.set_json(CATALOG, version, "sku:NB-1", {"name": "Notebook Ñandú", "price": "1250000.50"})
    assert await cache.get_json(CATALOG, version, "sku:NB-1") == {"name": "Notebook Ñandú", "price": "1250000.50"}
    raw = Redis.from_url(REDIS)
    assert 0 < await raw.ttl(f"{prefix}catalog:v0:sku:NB-1") <= 120
    await raw.aclose()
    await cache.aclose()


async def test_two_replicas_see_each_others_invalidation(prefix: str) -> None:
    one, two = RedisCache(REDIS, ttl=60, prefix=prefix), RedisCache(REDIS, ttl=60, prefix=prefix)
    promos, tree = Loads({"cupones": ["BIENVENIDA10"]}), Loads(["raíz"])
    assert await one.remember(PROMOTIONS, "C0001", promos) == {"cupones": ["BIENVENIDA10"]}
    await one.remember(CATALOG, "tree", tree)
    assert await two.remember(PROMOTIONS, "C0001", promos) == {"cupones": ["BIENVENIDA10"]}
    assert promos.calls == 1 and two.hits == 1

    await two.invalidate(PROMOTIONS)  # a redemption handled by replica two
    promos.value = {"cupones": []}
    assert await one.remember(PROMOTIONS, "C0001", promos) == {"cupones": []} and promos.calls == 2
    assert await one.remember(CATALOG, "tree", tree) == ["raíz"] and tree.calls == 1
    await one.aclose()
    await two.aclose()


async def test_closed_port_means_no_cache_and_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    cache = RedisCache(CLOSED, ttl=60, retry_after=0)  # tries Redis again on every call
    loads = Loads([1])
    with caplog.at_level(logging.WARNING, logger="tools.shop.cache"):
        for _ in range(3):
            assert await cache.remember(PROMOTIONS, "C0001", loads) == [1]
            await cache.invalidate(PROMOTIONS)
    assert loads.calls == 3 and cache.hits == 0 and cache.misses == 3
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    await cache.aclose()


class Proxy:
    """A TCP relay to the real Redis that can be cut (every connection dropped) and restored."""

    def __init__(self) -> None:
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self.writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        self.writers = []
        await self.server.wait_closed()


async def test_outage_degrades_then_recovers_with_missed_invalidations(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = Proxy()
    await proxy.start()
    cache = RedisCache(f"redis://127.0.0.1:{proxy.port}/0", ttl=60, prefix=prefix, retry_after=0.3)
    loads = Loads(["PRIMEROS5"])
    assert await cache.remember(PROMOTIONS, "C0001", loads) == ["PRIMEROS5"]
    with caplog.at_level(logging.INFO, logger="tools.shop.cache"):
        await proxy.cut()
        await cache.invalidate(PROMOTIONS)  # the coupon ran out while Redis was unreachable
        loads.value = []
        for _ in range(3):
            assert await cache.remember(PROMOTIONS, "C0001", loads) == []
        await proxy.start()
        assert await cache.remember(PROMOTIONS, "C0001", loads) == []  # still backing off: no cache
        await asyncio.sleep(0.35)
        assert await cache.remember(PROMOTIONS, "C0001", loads) == [], "the missed invalidation is replayed"
        calls = loads.calls
        assert await cache.remember(PROMOTIONS, "C0001", loads) == [] and loads.calls == calls  # cached again
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    await cache.aclose()
    await proxy.cut()


# --------------------------------------------------------------------------- through the agent tools


def session(user_id: str) -> Any:
    return SimpleNamespace(user_id=user_id)


class Queries:
    """SQL statements the engine runs while counting."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine, self.statements = engine, list[str]()

    def __enter__(self) -> Queries:
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements.append(statement)

    def touching(self, table: str) -> int:
        return sum(bool(re.search(rf"\b(FROM|JOIN) {table}\b", s)) for s in self.statements)


@pytest.fixture(params=["memory", "redis"])
async def cached_shop(request: pytest.FixtureRequest, shop: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncEngine]:
    """The seeded shop with the in-process cache, or with Redis (its keys deleted afterwards)."""
    if request.param == "redis":
        monkeypatch.setenv("REDIS_URL", REDIS)
    get_settings.cache_clear()
    reset_cache()
    yield shop
    cache = get_cache()
    if isinstance(cache, RedisCache):
        await delete_prefix(cache.prefix)
        await cache.aclose()


async def uncached_promotions(monkeypatch: pytest.MonkeyPatch, user_id: str) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        patch.setenv("CACHE_TTL_S", "0")
        get_settings.cache_clear()
        answer = await promotion_tools.my_promotions(session(user_id))
    get_settings.cache_clear()
    return answer


async def test_my_promotions_cached_until_a_redemption(cached_shop: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    async with cached_shop.begin() as conn:  # one use left: the next redemption exhausts it
        await conn.execute(update(promotions).where(promotions.c.code == "BIENVENIDA10")
                           .values(usage_limit=promotions.c.used_count + 1))
    uncached = await uncached_promotions(monkeypatch, PREMIUM)
    assert uncached["ok"] and "BIENVENIDA10" in {c["code"] for c in uncached["coupons"]}

    cache = get_cache()
    with Queries(cached_shop) as first:
        assert await promotion_tools.my_promotions(session(PREMIUM)) == uncached
    with Queries(cached_shop) as second:
        assert await promotion_tools.my_promotions(session(PREMIUM)) == uncached
    assert first.touching("promotions") == 1 and first.touching("coupon_redemptions") == 1
    assert second.touching("promotions") == 0 and second.touching("coupon_redemptions") == 0
    assert len(second.statements) < len(first.statements) and cache.hits >= 2

    redeemed = await promotion_tools.redeem_coupon_code("BIENVENIDA10", session(BASIC))
    assert redeemed["status"] == "ok"
    after = await promotion_tools.my_promotions(session(PREMIUM))
    assert "BIENVENIDA10" not in {c["code"] for c in after["coupons"]}, "exhausted by another customer"
    assert after == await uncached_promotions(monkeypatch, PREMIUM)
    assert "BIENVENIDA10" not in {c["code"] for c in (await promotion_tools.my_promotions(session(BASIC)))["coupons"]}


async def test_cached_promotions_follow_the_clock(cached_shop: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    async with cached_shop.begin() as conn:
        category = (await conn.execute(select(categories.c.id).order_by(categories.c.id))).scalars().first()
        for name, starts, ends in [("Flash de la tarde", 30, 90), ("Último rato", -60, 20)]:
            await conn.execute(insert(promotions).values(
                name=name, kind="percent", value=7, category_id=category, active=True, used_count=0,
                starts_at=FIXED_NOW + timedelta(minutes=starts), ends_at=FIXED_NOW + timedelta(minutes=ends)))

    async def automatic_at(minutes: int) -> set[str]:
        monkeypatch.setattr(tool_common, "now", lambda: FIXED_NOW + timedelta(minutes=minutes))
        answer = await promotion_tools.my_promotions(session(BASIC))
        return {p["name"] for p in answer["automatic"]} & {"Flash de la tarde", "Último rato"}

    assert await automatic_at(0) == {"Último rato"}
    with Queries(cached_shop) as later:
        assert await automatic_at(25) == set()
        assert await automatic_at(45) == {"Flash de la tarde"}
    assert later.touching("promotions") == 0, "answered from the snapshot taken at 15:00"


async def test_catalog_lookups_hit_the_cache(cached_shop: AsyncEngine) -> None:
    sku = (await product_tools.search_catalog("notebook", tool_context=session(BASIC)))["products"][0]["sku"]
    first = await product_tools.product_details(sku, session(BASIC))
    listed = await catalog_tools.list_categories()
    with Queries(cached_shop) as again:
        assert await product_tools.product_details(sku, session(BASIC)) == first
        assert await catalog_tools.list_categories() == listed
    assert again.touching("products") == 0 and again.touching("categories") == 0
    assert again.touching("stock") == 1, "stock is always read live"


async def test_redis_outage_still_answers(shop: AsyncEngine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    expected = await uncached_promotions(monkeypatch, BASIC)
    monkeypatch.setenv("REDIS_URL", CLOSED)
    get_settings.cache_clear()
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            assert await promotion_tools.my_promotions(session(BASIC)) == expected
        redeemed = await promotion_tools.redeem_coupon_code("BIENVENIDA10", session(BASIC))
    assert redeemed["status"] == "ok"
    assert [r.name for r in caplog.records if r.levelno >= logging.WARNING] == ["tools.shop.cache"]
    assert expected["ok"] and isinstance(get_cache(), RedisCache)
