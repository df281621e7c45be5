"""The command line: ``python -m tools.shop.seed [--database-url URL] [--products N] [--reset] [--rng-seed N]``."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from tools.settings import get_settings
from tools.shop import schema
from tools.shop.db import create_engine, migrate
from tools.shop.seed.dataset import MIN_PRODUCTS, SeedSummary, seed


async def _run(url: str, products: int, reset: bool, rng_seed: int) -> SeedSummary:
    engine = create_engine(url)
    try:
        if reset:
            async with engine.begin() as conn:
                await conn.run_sync(schema.metadata.drop_all)
        await migrate(engine)
        return await seed(engine, products=products, rng_seed=rng_seed)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.shop.seed", description="Migrate and seed the shop DB.")
    parser.add_argument("--database-url", help="default: $DATABASE_URL or sqlite+aiosqlite:///.data/shop.db")
    parser.add_argument("--products", type=int, default=300, help="catalog size: 300 (default), 10000, 100000...")
    parser.add_argument("--reset", action="store_true", help="drop and recreate every shop table first")
    parser.add_argument("--rng-seed", type=int, default=42, help="random seed (default 42)")
    args = parser.parse_args(argv)
    if args.products < MIN_PRODUCTS:
        parser.error(f"--products must be at least {MIN_PRODUCTS}")
    url = args.database_url or get_settings().database_url
    started = time.perf_counter()
    summary = asyncio.run(_run(url, args.products, args.reset, args.rng_seed))
    elapsed = time.perf_counter() - started
    print(f"{'seeded' if summary.seeded else 'already seeded, nothing written'} in {elapsed:.1f} s")
    for table, count in summary.counts().items():
        print(f"  {table:<20}{count:>9}")
    return 0
