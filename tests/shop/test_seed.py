"""The seed generator: minimum contents, internal consistency, determinism, idempotence and scale.

Every test taking `engine` runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tools.crypto import get_cipher
from tools.shop import schema
from tools.shop.catalog import category_tree, customer_by_user_id
from tools.shop.db import create_engine, migrate
from tools.shop.orders import order_for_customer
from tools.shop.pricing import RedeemStatus, redeem_coupon
from tools.shop.seed import (
    FIXED_ORDERS,
    SEEDED_TABLES,
    SHIPMENT_TO_ORDER_STATUS,
    build_dataset,
    default_reference,
    main,
    seed,
)

REFERENCE = datetime(2025, 11, 20, tzinfo=UTC)
NOW = REFERENCE + timedelta(hours=10)  # "today", after the reference midnight


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the seed writes is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


async def rows(conn: AsyncConnection, table: Any) -> list[dict[str, Any]]:
    result = await conn.execute(select(table).order_by(*table.primary_key.columns))
    return [dict(r._mapping) for r in result]


CONTACT_COLUMNS = {column for _, columns in schema.ENCRYPTED_COLUMNS for column in columns}


def opened(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with its encrypted contact columns decrypted (tokens differ on every run)."""
    cipher = get_cipher()
    return {k: cipher.decrypt(v) if k in CONTACT_COLUMNS else v for k, v in row.items()}


async def seeded(engine: AsyncEngine) -> None:
    summary = await seed(engine, reference=REFERENCE)
    assert summary.seeded


async def test_counts_meet_the_minimums(engine: AsyncEngine) -> None:
    summary = await seed(engine, reference=REFERENCE)
    assert summary.seeded
    assert summary.products == 300
    assert summary.categories >= 8 + 8 * 2
    assert summary.warehouses == 3 and summary.stock == 3 * summary.products
    assert summary.customers == 52
    assert summary.orders == 200
    assert 200 <= summary.order_lines <= 800
    assert summary.kb_articles >= 40
    assert 3 <= summary.support_tickets <= 10
    async with engine.connect() as conn:
        for table in SEEDED_TABLES:
            count = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            assert count == summary.counts()[table.name], table.name
        for table in (schema.invoices, schema.outbox):
            assert (await conn.execute(select(func.count()).select_from(table))).scalar_one() == 0


async def test_category_tree_has_eight_top_levels_with_subcategories(engine: AsyncEngine) -> None:
    await seeded(engine)
    async with engine.connect() as conn:
        roots = await category_tree(conn)
        leaves = {c.id for root in roots for c in root.children}
        product_categories = set((await conn.execute(select(schema.products.c.category_id).distinct())).scalars())
        active = (await conn.execute(select(func.count()).where(schema.products.c.active.is_(True)))).scalar_one()
    assert len(roots) >= 8
    assert all(len(root.children) >= 2 for root in roots)
    assert all(root.product_count > 0 for root in roots)
    assert {"notebooks", "notebooks-gamer", "celulares", "televisores", "audio", "electrodomesticos", "gaming",
            "perifericos", "almacenamiento", "smart-home"} <= {r.id for r in roots} | leaves
    assert product_categories == leaves  # every subcategory has products, and products sit in subcategories
    assert sum(root.product_count for root in roots) == active


async def test_customers_tiers_roles_and_fixed_accounts(engine: AsyncEngine) -> None:
    await seeded(engine)
    async with engine.connect() as conn:
        people = [opened(p) for p in await rows(conn, schema.customers)]
        c1 = await customer_by_user_id(conn, "5491160000001")
        c2 = await customer_by_user_id(conn, "5491160000002")
        c3 = await customer_by_user_id(conn, "5491160000003")
        staff = await customer_by_user_id(conn, "staff-0001")
    customers = [p for p in people if p["role"] != "support_staff"]
    assert len(customers) == 50
    assert Counter(p["tier"] for p in customers) == {"basic": 30, "premium": 14, "vip": 6}
    for person in customers:
        assert person["role"] == ("customer" if person["tier"] == "basic" else "premium_customer")
        assert re.fullmatch(r"\+54 9 11 \d{4}-\d{4}", person["phone"])
        assert person["user_ref"] == re.sub(r"\D", "", person["phone"])  # the wa_id, encrypted
        assert person["user_id"] == get_cipher().pseudonym(person["user_ref"])  # stored: its keyed pseudonym
        assert "@" in person["email"]
        assert "address" in json.loads(person["preferences"])
        if person["cuit"]:
            assert valid_cuit(person["cuit"]), person["cuit"]
    assert len({p["email"] for p in people}) == len(people)
    assert sum(1 for p in customers if p["cuit"]) >= 3
    assert [p["id"] for p in people if p["role"] == "support_staff"] == ["S0001", "S0002"]
    assert c1 and (c1.id, c1.tier, c1.role, c1.cuit) == ("C0001", "basic", "customer", None)
    assert c2 and (c2.id, c2.tier, c2.role) == ("C0002", "premium", "premium_customer")
    assert c3 and (c3.id, c3.tier, c3.role) == ("C0003", "vip", "premium_customer") and c3.cuit
    assert staff and (staff.id, staff.role) == ("S0001", "support_staff")


def valid_cuit(cuit: str) -> bool:
    digits = cuit.replace("-", "")
    if not re.fullmatch(r"\d{2}-\d{8}-\d", cuit):
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))) % 11
    return int(digits[-1]) == (0 if check == 11 else check)


PRICE_RANGES_PESOS = {
    "notebooks-gamer": (1_500_000, 3_500_000),
    "celulares-gama-alta": (250_000, 2_000_000),
    "celulares-gama-media": (250_000, 2_000_000),
    "celulares-gama-baja": (250_000, 2_000_000),
    "televisores-smart-tv": (400_000, 3_000_000),
    "televisores-4k-oled": (400_000, 3_000_000),
    "perifericos-mouse": (15_000, 120_000),
}
REDUCED_IVA = ("notebooks", "celulares", "perifericos-monitores")


def check_catalog(products: list[dict[str, Any]]) -> None:
    """Catalog rules that hold for every catalog size."""
    for product in products:
        assert re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{3}-\d{5,6}", product["sku"]), product["sku"]
        low, high = PRICE_RANGES_PESOS.get(product["category_id"], (1, 10_000_000))
        assert low * 100 <= product["price_cents"] <= high * 100, product["name"]
        reduced = product["category_id"].startswith(REDUCED_IVA)
        assert product["iva_rate"] == ("10.5" if reduced else "21"), product["name"]
        attributes = json.loads(product["attributes"])
        assert isinstance(attributes, dict) and attributes["warranty_months"] > 0
        assert product["description"].endswith(".")
        if product["category_id"] != "gaming-juegos":  # games are named by title, not publisher
            assert product["brand"] in product["name"], product["name"]
    assert len({p["name"] for p in products}) == len(products)


async def test_catalog_has_gaming_notebooks_prices_and_iva(engine: AsyncEngine) -> None:
    await seeded(engine)
    async with engine.connect() as conn:
        products = await rows(conn, schema.products)
        stock = await rows(conn, schema.stock)
    check_catalog(products)
    gamer = [p for p in products if p["category_id"] == "notebooks-gamer"]
    for gpu in ("RTX 4060", "RTX 4070"):
        assert any(gpu in p["name"] and json.loads(p["attributes"])["gpu"] == gpu for p in gamer), gpu
    assert products[0]["name"] == "Notebook Gamer ASUS TUF F15 i7 16GB 512GB RTX 4060"
    brands = {p["brand"] for p in products}
    assert {"Lenovo", "ASUS", "Samsung", "Motorola", "Xiaomi", "LG", "Noblex", "JBL", "Drean", "BGH"} <= brands
    quantities = [s["quantity"] for s in stock]
    assert {s["warehouse_id"] for s in stock} == {"CABA", "COR", "ROS"}
    assert 0 < quantities.count(0) < len(quantities) / 3


async def test_orders_lines_and_totals_are_consistent(engine: AsyncEngine) -> None:
    await seeded(engine)
    async with engine.connect() as conn:
        orders = await rows(conn, schema.orders)
        lines = await rows(conn, schema.order_lines)
        prices = dict((await conn.execute(select(schema.products.c.id, schema.products.c.price_cents))).all())
    by_order: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        by_order.setdefault(line["order_id"], []).append(line)
    assert len({o["number"] for o in orders}) == len(orders) == 200
    for order in orders:
        order_lines = by_order[order["id"]]
        assert 1 <= len(order_lines) <= 4
        assert [line["line_no"] for line in order_lines] == list(range(1, len(order_lines) + 1))
        assert all(line["unit_price_cents"] == prices[line["product_id"]] for line in order_lines)
        assert order["subtotal_cents"] == sum(line["quantity"] * line["unit_price_cents"] for line in order_lines)
        assert 0 <= order["discount_cents"] <= order["subtotal_cents"]
        assert order["total_cents"] == order["subtotal_cents"] - order["discount_cents"]
        assert re.fullmatch(r"\d{7}", order["number"])
        assert utc(order["created_at"]) < REFERENCE
    fixed = {"C0001", "C0002", "C0003"}
    assert {o["customer_id"] for o in orders} & fixed == fixed
    assert any(o["discount_cents"] > 0 for o in orders) and any(o["promotion_id"] for o in orders)


async def test_shipments_cover_every_status_with_ordered_events(engine: AsyncEngine) -> None:
    await seeded(engine)
    async with engine.connect() as conn:
        orders = {o["id"]: o for o in await rows(conn, schema.orders)}
        shipments = await rows(conn, schema.shipments)
        events = await rows(conn, schema.shipment_events)
    assert {s["status"] for s in shipments} == set(schema.SHIPMENT_STATUSES)
    assert {s["order_id"] for s in shipments} == {i for i, o in orders.items() if o["status"] != "pending"}
    assert len({s["tracking_number"] for s in shipments}) == len(shipments)
    by_shipment: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        by_shipment.setdefault(event["shipment_id"], []).append(event)
    for shipment in shipments:
        order = orders[shipment["order_id"]]
        assert order["status"] == SHIPMENT_TO_ORDER_STATUS[shipment["status"]]
        assert shipment["carrier"] in {"andreani", "oca", "correo_argentino", "mercado_envios"}
        assert shipment["distance_km"] > 0 and shipment["origin_city"] in {"CABA", "Córdoba", "Rosario"}
        assert shipment["estimated_delivery"] is not None
        trail = by_shipment[shipment["id"]]
        times = [utc(e["occurred_at"]) for e in trail]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert utc(order["created_at"]) < times[0] and times[-1] <= REFERENCE
        assert trail[0]["status"] == "preparing" and trail[-1]["status"] == shipment["status"]
        assert all(e["status"] in schema.SHIPMENT_STATUSES and e["description"] for e in trail)
        assert (shipment["delivered_at"] is not None) == (shipment["status"] == "delivered")
        assert (shipment["shipped_at"] is None) == (shipment["status"] == "preparing")
    descriptions = {e["description"] for e in events}
    assert "En camino al centro de distribución." in descriptions


async def test_well_known_orders(engine: AsyncEngine) -> None:
    await seeded(engine)
    async with engine.connect() as conn:
        order = await order_for_customer(conn, "C0001", "4581230")
        assert await order_for_customer(conn, "C0002", "4581230") is None  # not theirs
        assert order is not None and order.status == "shipped"
        shipment = (await conn.execute(select(schema.shipments).where(schema.shipments.c.order_id == order.id))).one()
        numbers = dict((await conn.execute(select(schema.orders.c.number, schema.orders.c.customer_id))).all())
    assert shipment.status == "in_transit" and shipment.destination_city == "La Plata"
    assert any("RTX 4060" in line.name for line in order.lines)
    assert all(numbers[f.number] == f.customer_id for f in FIXED_ORDERS)


async def test_promotions_and_coupon_usage(engine: AsyncEngine) -> None:
    await seeded(engine)
    async with engine.connect() as conn:
        promos = await rows(conn, schema.promotions)
        redemptions = await rows(conn, schema.coupon_redemptions)
        orders = await rows(conn, schema.orders)
    for promo in promos:
        promo["starts_at"], promo["ends_at"] = utc(promo["starts_at"]), utc(promo["ends_at"])
    active = [p for p in promos if p["active"] and p["starts_at"] <= NOW < p["ends_at"]]
    expired = [p for p in promos if p["ends_at"] <= REFERENCE]
    assert active and expired
    assert any(p["code"] for p in expired) and any(p["code"] is None for p in expired)
    assert {p["kind"] for p in active} == {"percent", "fixed"}
    assert any(p["category_id"] for p in active) and any(p["product_id"] for p in active)
    assert any(p["min_tier"] for p in active if p["code"]) and any(p["min_tier"] for p in active if not p["code"])
    assert any(p["code"] is None for p in active) and any(p["code"] for p in active)
    codes = {p["code"]: p for p in promos if p["code"]}
    assert {"BIENVENIDA10", "HOTSALE15", "FLASH10", "PRIMEROS5", "CYBERMONDAY"} <= set(codes)
    assert codes["FLASH10"]["usage_limit"] == 10 and codes["FLASH10"]["used_count"] < 10
    assert codes["PRIMEROS5"]["used_count"] == codes["PRIMEROS5"]["usage_limit"]
    used = Counter(r["promotion_id"] for r in redemptions)
    for promo in promos:
        assert promo["used_count"] == used.get(promo["id"], 0), promo["name"]
        assert promo["usage_limit"] is None or promo["used_count"] <= promo["usage_limit"]
        if promo["code"] is None:
            assert promo["used_count"] == 0
    redeemed = {(r["promotion_id"], r["customer_id"]): utc(r["redeemed_at"]) for r in redemptions}
    by_id = {p["id"]: p for p in promos}
    for order in orders:
        if order["promotion_id"] and by_id[order["promotion_id"]]["code"]:
            assert redeemed[(order["promotion_id"], order["customer_id"])] == utc(order["created_at"])
    assert not any(cid in ("C0001", "C0002", "C0003") for _, cid in redeemed)


async def test_fixed_customers_can_redeem_live_coupons(engine: AsyncEngine) -> None:
    await seeded(engine)
    async with engine.connect() as conn:
        basic = await customer_by_user_id(conn, "5491160000001")
    assert basic is not None
    assert (await redeem_coupon(engine, "FLASH10", basic, NOW)).status is RedeemStatus.OK
    assert (await redeem_coupon(engine, "PRIMEROS5", basic, NOW)).status is RedeemStatus.EXHAUSTED
    assert (await redeem_coupon(engine, "CYBERMONDAY", basic, NOW)).status is RedeemStatus.UNKNOWN
    assert (await redeem_coupon(engine, "VIP25000", basic, NOW)).status is RedeemStatus.NOT_ELIGIBLE


async def test_knowledge_base_and_tickets(engine: AsyncEngine) -> None:
    await seeded(engine)
    async with engine.connect() as conn:
        articles = await rows(conn, schema.kb_articles)
        tickets = await rows(conn, schema.support_tickets)
        category_ids = set((await conn.execute(select(schema.categories.c.id))).scalars())
    assert len(articles) >= 40
    assert {a["kind"] for a in articles} == {"faq", "troubleshooting", "manual"}
    faq_text = " ".join(f"{a['title']} {a['body']}".lower() for a in articles if a["kind"] == "faq")
    for topic in ("envío", "devoluci", "garantía", "medios de pago", "cuotas", "factura a", "retiro"):
        assert topic in faq_text, topic
    titles = {a["title"] for a in articles}
    assert {"La notebook no enciende", "El celular no carga", "El Smart TV no se conecta al WiFi",
            "El lavarropas no centrifuga", "Los auriculares Bluetooth no emparejan"} <= titles
    for article in articles:
        assert isinstance(json.loads(article["tags"]), list) and article["body"]
        if article["kind"] != "faq":
            assert article["category_id"] in category_ids
    assert tickets and {t["customer_id"] for t in tickets} >= {"C0001"}


async def test_second_call_writes_nothing(engine: AsyncEngine) -> None:
    first = await seed(engine, reference=REFERENCE)
    second = await seed(engine, products=1000, reference=REFERENCE + timedelta(days=3), rng_seed=7)
    assert first.seeded and not second.seeded
    assert second.counts() == first.counts()


async def test_concurrent_first_starts_seed_once(engine: AsyncEngine) -> None:
    first, second = await asyncio.gather(seed(engine, reference=REFERENCE), seed(engine, reference=REFERENCE))
    assert sorted([first.seeded, second.seeded]) == [False, True]
    assert first.counts() == second.counts()


async def test_new_rows_after_seeding_get_fresh_ids(engine: AsyncEngine) -> None:
    """On PostgreSQL the seed moves the serial sequences past its explicit ids."""
    summary = await seed(engine, reference=REFERENCE)
    async with engine.begin() as conn:
        ticket = await conn.execute(insert(schema.support_tickets).values(
            customer_id="C0001", subject="Nuevo", description="Consulta", created_at=NOW))
        order = await conn.execute(insert(schema.orders).values(
            number="9999999", customer_id="C0001", status="pending", created_at=NOW, subtotal_cents=100,
            discount_cents=0, total_cents=100, shipping_address="Calle 7 1234, La Plata"))
    assert ticket.inserted_primary_key[0] == summary.support_tickets + 1
    assert order.inserted_primary_key[0] == summary.orders + 1


async def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return {t.name: [opened(r) for r in await rows(conn, t)] for t in schema.metadata.sorted_tables}
    finally:
        await engine.dispose()


async def seed_file(path: Path, **kwargs: Any) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    try:
        await migrate(engine)
        await seed(engine, reference=REFERENCE, **kwargs)
    finally:
        await engine.dispose()
    return url


async def test_same_arguments_give_identical_databases(tmp_path: Path) -> None:
    first = await dump(await seed_file(tmp_path / "a.db", products=400, rng_seed=5))
    second = await dump(await seed_file(tmp_path / "b.db", products=400, rng_seed=5))
    other = await dump(await seed_file(tmp_path / "c.db", products=400, rng_seed=6))
    assert first == second
    assert first["orders"] != other["orders"]


def test_dataset_is_pure_and_reference_defaults_to_today() -> None:
    assert build_dataset(300, REFERENCE) == build_dataset(300, REFERENCE)
    today = default_reference()
    assert (today.hour, today.minute, today.second, today.microsecond) == (0, 0, 0, 0)
    assert today.tzinfo is not None and today.date() == datetime.now(UTC).date()
    with pytest.raises(ValueError):
        build_dataset(10, REFERENCE)


@pytest.mark.slow
async def test_ten_thousand_products_on_sqlite(tmp_path: Path) -> None:
    started = time.perf_counter()
    url = await seed_file(tmp_path / "big.db", products=10_000)
    elapsed = time.perf_counter() - started
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            products = await rows(conn, schema.products)
            stock = (await conn.execute(select(func.count()).select_from(schema.stock))).scalar_one()
    finally:
        await engine.dispose()
    assert len(products) == 10_000 and stock == 30_000
    check_catalog(products)
    assert elapsed < 10, f"seeding 10k products took {elapsed:.1f} s"


def test_cli_migrates_seeds_and_resets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert main(["--database-url", url, "--products", "300"]) == 0
    assert "seeded in" in capsys.readouterr().out
    assert main(["--database-url", url]) == 0
    assert "already seeded" in capsys.readouterr().out
    assert main(["--database-url", url, "--reset", "--products", "320"]) == 0
    out = capsys.readouterr().out
    assert "seeded in" in out and re.search(r"products\s+320\b", out)
