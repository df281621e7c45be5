"""Repository functions on SQLite and PostgreSQL: catalog, prices, coupons, orders, stock."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.shop.factories import NOW, make_shop
from tools.shop import catalog, orders, parsing, pricing
from tools.shop.pricing import RedeemStatus
from tools.shop.schema import coupon_redemptions, promotions, stock


async def _customer(engine: AsyncEngine, user_id: str):
    async with engine.connect() as conn:
        customer = await catalog.customer_by_user_id(conn, user_id)
    assert customer is not None
    return customer


async def test_customer_comes_from_the_session_user_id(engine: AsyncEngine) -> None:
    await make_shop(engine)
    premium = await _customer(engine, "u-premium")
    assert (premium.id, premium.tier, premium.role, premium.cuit) == ("C0002", "premium", "premium_customer", "20-12345678-6")
    async with engine.connect() as conn:
        assert await catalog.customer_by_user_id(conn, "C0002") is None  # ids are not identities


async def test_category_tree_counts_active_products_of_every_descendant(engine: AsyncEngine) -> None:
    await make_shop(engine)
    async with engine.connect() as conn:
        tree = {node.id: node for node in await catalog.category_tree(conn)}
        assert set(await catalog.descendant_ids(conn, "computacion")) == {"computacion", "notebooks", "notebooks-gamer"}
        assert await catalog.descendant_ids(conn, "no-existe") == []
    assert tree["computacion"].product_count == 1  # the inactive Lenovo does not count
    assert tree["computacion"].children[0].children[0].id == "notebooks-gamer"
    assert tree["audio"].product_count == 1


async def test_price_for_tiers_and_best_valid_promotion(engine: AsyncEngine) -> None:
    await make_shop(engine)
    async with engine.connect() as conn:
        notebook, headphones = await catalog.get_products(conn, [1, 2])
        path = ["notebooks-gamer", "notebooks", "computacion"]
        basic = await pricing.price_for(conn, notebook, await catalog.customer_by_user_id(conn, "u-basic"), NOW, path)
        vip = await pricing.price_for(conn, notebook, await catalog.customer_by_user_id(conn, "u-vip"), NOW, path)
        vip_headphones = await pricing.price_for(conn, headphones, await catalog.customer_by_user_id(conn, "u-vip"), NOW)
        basic_headphones = await pricing.price_for(conn, headphones, await catalog.customer_by_user_id(conn, "u-basic"), NOW)
    assert basic.final_price == Decimal("1800000.00") and basic.promotion == "Semana gamer"
    assert vip.tier_discount == Decimal("200000.00")
    assert vip.final_price == Decimal("1620000.00")  # 10 % tier, then 10 % promotion on the rest
    assert vip_headphones.final_price == Decimal("52000.00")  # 72.000 after tier − 20.000 VIP promotion
    assert basic_headphones.final_price == Decimal("80000.00")  # the expired 50 % promotion is ignored


async def test_fifty_concurrent_redemptions_of_a_coupon_limited_to_ten(engine: AsyncEngine) -> None:
    await make_shop(engine, extra_customers=50)
    async with engine.connect() as conn:
        people = [await catalog.customer_by_user_id(conn, f"u-extra-{i}") for i in range(50)]
    results = await asyncio.gather(*(pricing.redeem_coupon(engine, "hotsale10", c, NOW) for c in people))
    statuses = [r.status for r in results]
    assert statuses.count(RedeemStatus.OK) == 10
    assert statuses.count(RedeemStatus.EXHAUSTED) == 40
    async with engine.connect() as conn:
        used = (await conn.execute(select(promotions.c.used_count).where(promotions.c.id == 3))).scalar()
        rows = (await conn.execute(select(func.count()).select_from(coupon_redemptions))).scalar()
    assert used == 10 and rows == 10


async def test_coupon_rules(engine: AsyncEngine) -> None:
    await make_shop(engine)
    basic, vip = await _customer(engine, "u-basic"), await _customer(engine, "u-vip")
    assert (await pricing.redeem_coupon(engine, " HotSale10 ", basic, NOW)).status == RedeemStatus.OK
    assert (await pricing.redeem_coupon(engine, "HOTSALE10", basic, NOW)).status == RedeemStatus.ALREADY_USED
    assert (await pricing.redeem_coupon(engine, "VIPONLY", basic, NOW)).status == RedeemStatus.NOT_ELIGIBLE
    assert (await pricing.redeem_coupon(engine, "VIPONLY", vip, NOW)).status == RedeemStatus.OK
    assert (await pricing.redeem_coupon(engine, "NOEXISTE", vip, NOW)).status == RedeemStatus.UNKNOWN
    later = NOW + timedelta(days=3)
    assert (await pricing.redeem_coupon(engine, "HOTSALE10", vip, later)).status == RedeemStatus.UNKNOWN
    async with engine.connect() as conn:
        used = (await conn.execute(select(promotions.c.used_count).where(promotions.c.id == 3))).scalar()
    assert used == 1, "the refused second use gave its count back"


async def test_concurrent_stock_takes_never_go_below_zero(engine: AsyncEngine) -> None:
    await make_shop(engine)

    async def take() -> bool:
        async with engine.begin() as conn:
            return await catalog.take_stock(conn, 1, "CABA", 1)

    results = await asyncio.gather(*(take() for _ in range(25)))
    assert results.count(True) == 10
    async with engine.connect() as conn:
        left = (await conn.execute(select(stock.c.quantity).where(stock.c.product_id == 1, stock.c.warehouse_id == "CABA"))).scalar()
        levels = await catalog.stock_levels(conn, [1, 2, 99])
    assert left == 0 and levels == {1: 2, 2: 0, 99: 0}


async def test_orders_are_scoped_to_their_customer(engine: AsyncEngine) -> None:
    await make_shop(engine)
    async with engine.connect() as conn:
        mine = await orders.order_for_customer(conn, "C0001", "pedido #4.581.230")
        theirs = await orders.order_for_customer(conn, "C0001", "4581231")
        missing = await orders.order_for_customer(conn, "C0001", "9999999")
        recent = await orders.recent_orders(conn, "C0001")
    assert mine is not None and mine.total == Decimal("2000000.00") and len(mine.lines) == 2
    assert theirs is None and missing is None
    assert [o.number for o in recent] == ["4581232", "4581230"]


def test_order_numbers_written_many_ways() -> None:
    for text in ["#4581230", "pedido 4581230", "orden nro 4581230", "Orden N° 4.581.230", "mi compra 4581230!"]:
        assert parsing.normalize_order_number(text) == "4581230", text
    assert parsing.normalize_order_number("no sé el número") is None


async def test_support_tickets_belong_to_their_customer(engine: AsyncEngine) -> None:
    from tools.shop import support

    await make_shop(engine)
    async with engine.begin() as conn:
        first = await support.open_ticket(conn, "C0001", "  La notebook   no prende ", "Desde ayer no enciende.", NOW)
        await support.open_ticket(conn, "C0002", "Otro", "x", NOW, priority="urgentísimo")
    async with engine.connect() as conn:
        mine = await support.tickets_for_customer(conn, "C0001")
        theirs = await support.tickets_for_customer(conn, "C0002")
    assert [t.id for t in mine] == [first.id] and mine[0].subject == "La notebook no prende"
    assert theirs[0].priority == "normal" and theirs[0].id != first.id
