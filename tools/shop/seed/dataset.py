"""The whole seeded dataset (`build_dataset`) and writing it once into an empty database (`seed`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import Table, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tools.crypto import get_cipher
from tools.shop import schema
from tools.shop.db import is_sqlite
from tools.shop.seed.catalog import build_products, build_stock, category_rows
from tools.shop.seed.common import Row, load_vocab, section_rng
from tools.shop.seed.orders import build_orders
from tools.shop.seed.people import build_customers
from tools.shop.seed.promotions import (
    build_promotions,
    fill_redemptions,
    redemption_rows,
)
from tools.shop.seed.support import build_kb_articles, build_support_tickets

CHUNK_ROWS = 1000
SEED_LOCK_ID = 7_310_002  # pg_advisory_xact_lock key, next to db.MIGRATION_LOCK_ID
MIN_PRODUCTS = 50  # enough for every subcategory to have products

SEEDED_TABLES: tuple[Table, ...] = (
    schema.categories, schema.products, schema.warehouses, schema.stock, schema.customers,
    schema.promotions, schema.coupon_redemptions, schema.orders, schema.order_lines,
    schema.shipments, schema.shipment_events, schema.kb_articles, schema.support_tickets,
)
"""Every table `seed` writes, in foreign-key order."""


class SeedSummary(BaseModel):
    """Row counts per seeded table; `seeded` is False when the database already had data."""

    seeded: bool
    categories: int
    products: int
    warehouses: int
    stock: int
    customers: int
    promotions: int
    coupon_redemptions: int
    orders: int
    order_lines: int
    shipments: int
    shipment_events: int
    kb_articles: int
    support_tickets: int

    def counts(self) -> dict[str, int]:
        return self.model_dump(exclude={"seeded"})


def _chunks(rows: list[Row], size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def default_reference() -> datetime:
    """Today at 00:00 UTC."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _normalize_reference(reference: datetime | None) -> datetime:
    if reference is None:
        return default_reference()
    if reference.tzinfo is None:
        return reference.replace(tzinfo=UTC)
    return reference.astimezone(UTC)


def build_dataset(products: int = 300, reference: datetime | None = None, rng_seed: int = 42) -> dict[str, list[Row]]:
    """Every seeded row, keyed by table name; pure and deterministic (no database needed)."""
    if products < MIN_PRODUCTS:
        raise ValueError(f"products must be at least {MIN_PRODUCTS}")
    reference = _normalize_reference(reference)
    warehouses = [dict(w) for w in load_vocab("shop_vocab.json")["warehouses"]]
    product_rows = build_products(products, reference, rng_seed)
    customer_rows, people = build_customers(reference, rng_seed)
    promos = build_promotions(product_rows, reference)
    orders = build_orders(product_rows, people, promos, warehouses, reference, rng_seed)
    fill_redemptions(promos, people, reference, section_rng(rng_seed, "redemptions"))
    return {
        "categories": category_rows(load_vocab("catalog_vocab.json")),
        "products": product_rows,
        "warehouses": warehouses,
        "stock": build_stock(product_rows, warehouses, rng_seed),
        "customers": customer_rows,
        "promotions": [p.row for p in promos],
        "coupon_redemptions": redemption_rows(promos),
        "orders": orders.orders,
        "order_lines": orders.order_lines,
        "shipments": orders.shipments,
        "shipment_events": orders.shipment_events,
        "kb_articles": build_kb_articles(),
        "support_tickets": build_support_tickets(reference),
    }


async def _count_rows(conn: AsyncConnection, seeded: bool) -> SeedSummary:
    counts = {t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one() for t in SEEDED_TABLES}
    return SeedSummary(seeded=seeded, **counts)


async def _has_products(conn: AsyncConnection) -> bool:
    return (await conn.execute(select(schema.products.c.id).limit(1))).first() is not None


async def _sync_sequences(conn: AsyncConnection) -> None:
    """PostgreSQL: move each serial sequence past the explicit ids the seed inserted."""
    for table in SEEDED_TABLES:
        column = table.autoincrement_column
        if column is None:
            continue
        highest = (await conn.execute(select(func.max(column)))).scalar()
        if highest:
            await conn.execute(text("SELECT setval(pg_get_serial_sequence(:table, :column), :value)"),
                               {"table": table.name, "column": column.name, "value": highest})


def _stored(table: Table, rows: list[Row]) -> list[Row]:
    """`rows` as written: contact columns encrypted, a customer's phone hashed and user id pseudonymized."""
    columns = dict(schema.ENCRYPTED_COLUMNS).get(table, ())
    if not columns:
        return rows
    cipher = get_cipher()
    if table is schema.customers:
        rows = [row | {"user_ref": row["user_id"]} for row in rows]
    stored = [row | {c: cipher.encrypt(row[c]) for c in columns} for row in rows]
    if table is schema.customers:
        for plain, row in zip(rows, stored):
            row["phone_hash"] = cipher.lookup_hash(plain["phone"]) if plain["phone"] else None
            row["user_id"] = cipher.pseudonym(plain["user_id"])
    return stored


async def _write(conn: AsyncConnection, data: dict[str, list[Row]]) -> None:
    for table in SEEDED_TABLES:
        for chunk in _chunks(data[table.name]):
            await conn.execute(table.insert(), _stored(table, chunk))
    if not is_sqlite(conn):
        await _sync_sequences(conn)


async def seed(engine: AsyncEngine, *, products: int = 300, reference: datetime | None = None,
               rng_seed: int = 42) -> SeedSummary:
    """Fill an empty, migrated shop database; a database that has products is left untouched.

    Runs in one transaction (all or nothing). On PostgreSQL an advisory lock makes
    concurrent first starts seed once; on SQLite a concurrent loser fails on the unique
    keys or the write lock, rolls back and reports what the winner wrote.
    """
    async with engine.connect() as conn:
        if await _has_products(conn):
            return await _count_rows(conn, seeded=False)
    data = await asyncio.to_thread(build_dataset, products, reference, rng_seed)  # CPU-bound, keep the loop free
    try:
        async with engine.begin() as conn:
            if not is_sqlite(conn):
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEED_LOCK_ID})
            if await _has_products(conn):
                return await _count_rows(conn, seeded=False)
            await _write(conn, data)
            return await _count_rows(conn, seeded=True)
    except (IntegrityError, OperationalError):
        async with engine.connect() as conn:
            if await _has_products(conn):
                return await _count_rows(conn, seeded=False)
        raise
