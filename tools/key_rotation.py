"""Key rotation for the data encrypted at rest: `python -m tools.key_rotation genkey | rotate [--rehash]`.

`rotate` re-encrypts every stored value under the newest key in DATA_KEYS (the shop
database in batches of one transaction each, then the pizzeria's files); `--rehash`
also recomputes the phone lookup hashes after LOOKUP_KEY changed. The procedure is
in `tools.crypto`'s docstring.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from tools.pizzeria.stores import reseal_files
from tools.settings import get_settings
from tools.shop.db import create_engine, migrate, reseal_all


async def _rotate_shop(url: str, rehash: bool, batch: int) -> dict[str, int]:
    engine = create_engine(url)
    try:
        await migrate(engine)
        return await reseal_all(engine, rehash=rehash, batch=batch)
    finally:
        await engine.dispose()


def _shop_database_exists(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" or bool(parsed.database and Path(parsed.database).exists())


def rotate_all(database_url: str, *, rehash: bool = False, batch: int = 500) -> dict[str, int]:
    """Re-encrypt everything under the newest key (and recompute lookup hashes if `rehash`); counts per store."""
    counts: dict[str, int] = {}
    if _shop_database_exists(database_url):
        counts |= asyncio.run(_rotate_shop(database_url, rehash, batch))
    counts |= reseal_files(get_settings().pizzeria_data_dir, rehash=rehash)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.key_rotation", description="Data keys: generate, rotate.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("genkey", help="print a new Fernet key (prepend it to DATA_KEYS)")
    rotate = commands.add_parser("rotate", help="re-encrypt all customer data under the newest key")
    rotate.add_argument("--rehash", action="store_true", help="also recompute phone hashes (after changing LOOKUP_KEY)")
    rotate.add_argument("--database-url", help="default: $DATABASE_URL")
    rotate.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
    args = parser.parse_args(argv)
    if args.command == "genkey":
        print(Fernet.generate_key().decode())
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    counts = rotate_all(args.database_url or get_settings().database_url, rehash=args.rehash, batch=args.batch)
    for store, count in counts.items():
        print(f"  {store:<20}{count:>9} re-encrypted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
