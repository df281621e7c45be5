"""Order lookups, scoped to one customer, and the support staff's lookup of any order.

An order number that belongs to another customer returns exactly what a missing
one returns (None), so a customer cannot probe for other people's orders.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tools.crypto import get_cipher
from tools.shop.money import pesos
from tools.shop.parsing import normalize_order_number
from tools.shop.records import Order, OrderLine
from tools.shop.schema import customers, order_lines, orders, products


async def _lines(conn: AsyncConnection, order_ids: list[int]) -> dict[int, list[OrderLine]]:
    rows = (await conn.execute(
        select(order_lines, products.c.sku, products.c.name, products.c.iva_rate)
        .join(products, products.c.id == order_lines.c.product_id)
        .where(order_lines.c.order_id.in_(order_ids))
        .order_by(order_lines.c.order_id, order_lines.c.line_no)
    )).all()
    by_order: dict[int, list[OrderLine]] = {i: [] for i in order_ids}
    for row in rows:
        by_order[row.order_id].append(OrderLine(
            line_no=row.line_no, product_id=row.product_id, sku=row.sku, name=row.name,
            quantity=row.quantity, unit_price=pesos(row.unit_price_cents), iva_rate=row.iva_rate,
        ))
    return by_order


def _order(row, lines: list[OrderLine]) -> Order:  # type: ignore[no-untyped-def]
    return Order(
        id=row.id, number=row.number, customer_id=row.customer_id, status=row.status, created_at=row.created_at,
        subtotal=pesos(row.subtotal_cents), discount=pesos(row.discount_cents), total=pesos(row.total_cents),
        shipping_address=get_cipher().decrypt(row.shipping_address), lines=lines,
    )


async def order_for_customer(conn: AsyncConnection, customer_id: str, number: str) -> Order | None:
    """The customer's order with this number, or None (missing and not-yours look the same)."""
    normalized = normalize_order_number(number)
    if normalized is None:
        return None
    row = (await conn.execute(
        select(orders).where(orders.c.number == normalized, orders.c.customer_id == customer_id)
    )).first()
    if row is None:
        return None
    return _order(row, (await _lines(conn, [row.id]))[row.id])


async def recent_orders(conn: AsyncConnection, customer_id: str, limit: int = 5) -> list[Order]:
    """The customer's latest orders, newest first, with their lines."""
    rows = (await conn.execute(
        select(orders).where(orders.c.customer_id == customer_id).order_by(orders.c.created_at.desc()).limit(limit)
    )).all()
    lines = await _lines(conn, [r.id for r in rows])
    return [_order(r, lines[r.id]) for r in rows]


class StaffOrderView(BaseModel):
    """Any customer's order as support staff see it: who placed it, when, its status and total."""

    id: int
    number: str
    status: str
    created_at: datetime
    total: Decimal
    customer_id: str
    customer_name: str


async def any_order(conn: AsyncConnection, number: str) -> StaffOrderView | None:
    """The order with this (normalized) number, whoever placed it. For support staff only."""
    row = (await conn.execute(
        select(orders.c.id, orders.c.number, orders.c.status, orders.c.created_at, orders.c.total_cents,
               orders.c.customer_id, customers.c.name.label("customer_name"))
        .join(customers, customers.c.id == orders.c.customer_id)
        .where(orders.c.number == number)
    )).first()
    if row is None:
        return None
    return StaffOrderView(id=row.id, number=row.number, status=row.status, created_at=row.created_at,
                          total=pesos(row.total_cents), customer_id=row.customer_id, customer_name=row.customer_name)
