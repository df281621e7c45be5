"""A retried turn (same idempotency key, `tools.turn_key`) repeats none of its side effects,
and the customer reads what the first try said; a new turn still gets the usual answer.
On SQLite and PostgreSQL (the shop tests' `engine` fixture)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.shop import conftest as shop_fixtures
from tests.shop.factories import NOW, make_shop
from tools.shop import catalog, pricing, support
from tools.shop.invoicing import has_invoice, invoice_order
from tools.shop.pricing import RedeemStatus
from tools.shop.schema import (
    coupon_redemptions,
    invoices,
    outbox,
    promotions,
    support_tickets,
)

engine = shop_fixtures.engine  # a migrated, empty shop database on SQLite and on PostgreSQL
TURN, LATER = "a" * 64, "b" * 64


async def _customer(engine: AsyncEngine, user_id: str):  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return await catalog.customer_by_user_id(conn, user_id)


async def _count(engine: AsyncEngine, table) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_a_retried_turn_opens_no_second_ticket(engine: AsyncEngine) -> None:
    await make_shop(engine)
    async with engine.begin() as conn:
        first = await support.open_ticket(conn, "C0001", "La notebook no prende", "Desde ayer.", NOW, turn_key=TURN)
    async with engine.begin() as conn:
        retried = await support.open_ticket(conn, "C0001", "La notebook no prende", "Desde ayer.", NOW, turn_key=TURN)
    assert retried.id == first.id and await _count(engine, support_tickets) == 1
    async with engine.begin() as conn:
        other = await support.open_ticket(conn, "C0001", "Otro problema", "x", NOW, turn_key=LATER)
    assert other.id != first.id and await _count(engine, support_tickets) == 2


async def test_a_retried_turn_redeems_its_coupon_once_and_reads_ok_again(engine: AsyncEngine) -> None:
    await make_shop(engine)
    basic = await _customer(engine, "u-basic")
    assert (await pricing.redeem_coupon(engine, "HOTSALE10", basic, NOW, turn_key=TURN)).status == RedeemStatus.OK
    assert (await pricing.redeem_coupon(engine, "HOTSALE10", basic, NOW, turn_key=TURN)).status == RedeemStatus.OK
    assert (await pricing.redeem_coupon(engine, "HOTSALE10", basic, NOW, turn_key=LATER)).status == RedeemStatus.ALREADY_USED
    async with engine.connect() as conn:
        used = (await conn.execute(select(promotions.c.used_count).where(promotions.c.code == "HOTSALE10"))).scalar()
    assert used == 1 and await _count(engine, coupon_redemptions) == 1


async def test_a_retried_turn_issues_its_invoice_once_and_reads_newly_issued_again(engine: AsyncEngine) -> None:
    await make_shop(engine)
    ana = await _customer(engine, "u-basic")
    first = await invoice_order(engine, ana, "4581230", NOW, turn_key=TURN)
    assert first is not None
    async with engine.connect() as conn:
        order_id = (await conn.execute(select(invoices.c.order_id))).scalar_one()
        assert not await has_invoice(conn, order_id, TURN)  # the retry words it as the first try did
        assert await has_invoice(conn, order_id, LATER)  # a later request hears "ya estaba emitida"
    again = await invoice_order(engine, ana, "4581230", NOW, turn_key=TURN)
    assert again is not None and again.number == first.number
    assert await _count(engine, invoices) == 1 and await _count(engine, outbox) == 1  # one e-mail
