"""Product search (semantic + SQL filters) and order lookup latency at several catalog sizes.

For each size the catalog is seeded deterministically into SQLite and into a
PostgreSQL schema, the Chroma index is built once (same product ids on both
engines), and p50/p95 are taken over a fixed query list. Prints a table.

    python -m benchmarks.shop_search [--sizes 300,10000,100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, text

from tools.shop import orders as order_repo
from tools.shop.db import create_engine, migrate
from tools.shop.schema import orders
from tools.shop.search import search_products
from tools.shop.search_index import SearchIndex, sync_index
from tools.shop.seed import seed

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+asyncpg://root@127.0.0.1:5432/test")
QUERIES: list[tuple[str, dict]] = [
    ("notebook gamer con rtx 4070", {}),
    ("notebook para la facultad liviana", {"max_price": Decimal(1500000)}),
    ("celular samsung con buena camara", {"brand": "Samsung"}),
    ("smart tv 55 pulgadas 4k", {"in_stock": True}),
    ("auriculares inalambricos con cancelacion de ruido", {"max_price": Decimal(300000)}),
    ("heladera no frost grande", {"category_id": "electrodomesticos"}),
    ("lavarropas carga frontal", {"in_stock": True}),
    ("mouse gamer inalambrico", {}),
    ("parlante bluetooth para la pileta", {}),
    ("disco ssd de 1 tb", {"min_price": Decimal(50000)}),
]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(coro_factory, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await coro_factory()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def bench_engine(engine, index: SearchIndex, repeat: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    # Warm up: the first query after opening loads the HNSW index from disk (seconds at 100k).
    cold = await timed(lambda: search_products(engine, index, "notebook"), 1)
    print(f"  first (cold) search: {cold[0]:.0f} ms", flush=True)
    search: list[float] = []
    for query, filters in QUERIES:
        search += await timed(lambda q=query, f=filters: search_products(engine, index, q, **f), repeat)
    async with engine.connect() as conn:
        pairs = (await conn.execute(select(orders.c.customer_id, orders.c.number))).all()
    rng = random.Random(7)
    sample = [rng.choice(pairs) for _ in range(50 * repeat)]
    lookups: list[float] = []
    for customer_id, number in sample:
        async def lookup(c=customer_id, n=number):  # type: ignore[no-untyped-def]
            async with engine.connect() as conn:
                return await order_repo.order_for_customer(conn, c, n)
        lookups += await timed(lookup, 1)
    return search, lookups


async def main(sizes: list[int], repeat: int) -> None:
    rows = ["| products | engine | seed s | index build s | RSS after index MB | search p50 / p95 ms | order lookup p50 / p95 ms |",
            "|---|---|---|---|---|---|---|"]
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"bench{size}-"))
        index = None
        for engine_name in ("sqlite", "postgresql"):
            schema = None
            if engine_name == "sqlite":
                engine = create_engine(f"sqlite+aiosqlite:///{work / 'shop.db'}")
            else:
                schema = f"bench_{uuid.uuid4().hex[:8]}"
                admin = create_engine(PG_URL)
                async with admin.begin() as conn:
                    await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                await admin.dispose()
                engine = create_engine(PG_URL, schema=schema)
            await migrate(engine)
            start = time.perf_counter()
            await seed(engine, products=size)
            seed_s = time.perf_counter() - start
            build_s = 0.0
            if index is None:
                import chromadb

                index = SearchIndex(client=chromadb.PersistentClient(path=str(work / "chroma")))
                start = time.perf_counter()
                await sync_index(engine, index)
                build_s = time.perf_counter() - start
            search, lookups = await bench_engine(engine, index, repeat)
            rows.append(
                f"| {size:,} | {engine_name} | {seed_s:.1f} | {build_s:.1f} | {rss_mb():.0f} | "
                f"{pct(search, .5):.1f} / {pct(search, .95):.1f} | {pct(lookups, .5):.2f} / {pct(lookups, .95):.2f} |"
            )
            print(rows[-1], flush=True)
            await engine.dispose()
            if schema:
                admin = create_engine(PG_URL)
                async with admin.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                await admin.dispose()
    print("\n".join(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="300,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.repeat))
