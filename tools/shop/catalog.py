"""Customers, the category tree with product counts, products and stock."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tools.crypto import get_cipher, is_pseudonym
from tools.identity import customer_id
from tools.shop.records import CategoryNode, Customer, Product
from tools.shop.schema import categories, customers, products, stock, warehouses


async def customer_by_user_id(conn: AsyncConnection, user_id: str) -> Customer | None:
    """The customer a session's `user_id` maps to (never an id the model typed; `DEMO_USER` for ADK's local user).

    Found by the id's keyed pseudonym (`customers.user_id`); a row written in clear by hand is found as it is
    (never by a pseudonym-shaped id: knowing a customer's pseudonym is not being them).
    """
    user_id = customer_id(user_id)
    pseudonym = get_cipher().pseudonym(user_id)
    wanted = (pseudonym,) if is_pseudonym(user_id) else (pseudonym, user_id)
    rows = (await conn.execute(select(customers).where(customers.c.user_id.in_(wanted)))).all()
    row = next((r for r in rows if r.user_id == pseudonym), rows[0] if rows else None)
    return Customer.from_row(row) if row else None


async def customer_by_phone(conn: AsyncConnection, phone: str) -> Customer | None:
    """The one customer with this phone number (any formatting), found by its keyed hash; None if none or several."""
    digest = get_cipher().lookup_hash(phone)
    rows = (await conn.execute(select(customers).where(customers.c.phone_hash == digest).limit(2))).all()
    return Customer.from_row(rows[0]) if len(rows) == 1 else None


async def category_tree(conn: AsyncConnection) -> list[CategoryNode]:
    """Top-level categories with their subcategories; counts include every descendant."""
    counts = dict(
        (await conn.execute(
            select(products.c.category_id, func.count()).where(products.c.active.is_(True)).group_by(products.c.category_id)
        )).all()
    )
    nodes = {
        row.id: CategoryNode(id=row.id, name=row.name, parent_id=row.parent_id, product_count=counts.get(row.id, 0))
        for row in (await conn.execute(select(categories).order_by(categories.c.name))).all()
    }
    roots: list[CategoryNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)

    def total(node: CategoryNode) -> int:
        node.product_count += sum(total(child) for child in node.children)
        return node.product_count

    for root in roots:
        total(root)
    return roots


async def category_paths(conn: AsyncConnection) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(category id -> [itself, parent, grandparent...], category id -> name) for every category."""
    rows = (await conn.execute(select(categories.c.id, categories.c.parent_id, categories.c.name))).all()
    parent = {row.id: row.parent_id for row in rows}
    paths: dict[str, list[str]] = {}
    for cid in parent:
        path, current = [], cid
        while current and current not in path:
            path.append(current)
            current = parent.get(current)
        paths[cid] = path
    return paths, {row.id: row.name for row in rows}


async def descendant_ids(conn: AsyncConnection, category_id: str) -> list[str]:
    """`category_id` and all its subcategories (any depth)."""
    rows = (await conn.execute(select(categories.c.id, categories.c.parent_id))).all()
    children: dict[str | None, list[str]] = {}
    for cid, parent in rows:
        children.setdefault(parent, []).append(cid)
    found, pending = [], [category_id]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.append(current)
        pending += children.get(current, [])
    return found if any(cid == category_id for cid, _ in rows) else []


async def get_products(conn: AsyncConnection, ids: Iterable[int]) -> list[Product]:
    wanted = list(ids)
    if not wanted:
        return []
    rows = (await conn.execute(select(products).where(products.c.id.in_(wanted)))).all()
    by_id = {row.id: Product.from_row(row) for row in rows}
    return [by_id[i] for i in wanted if i in by_id]


async def product_by_sku(conn: AsyncConnection, sku: str) -> Product | None:
    row = (await conn.execute(select(products).where(products.c.sku == sku))).first()
    return Product.from_row(row) if row else None


class WarehouseStock(BaseModel):
    """Units of one product in one warehouse."""

    warehouse: str  # the warehouse's name
    city: str
    units: int


async def stock_by_warehouse(conn: AsyncConnection, product_ids: Iterable[int]) -> dict[int, list[WarehouseStock]]:
    """Each product's units per warehouse, in warehouse order (an empty list when it has no stock rows)."""
    wanted = list(product_ids)
    if not wanted:
        return {}
    rows = (await conn.execute(
        select(stock.c.product_id, warehouses.c.name, warehouses.c.city, stock.c.quantity)
        .join(warehouses, warehouses.c.id == stock.c.warehouse_id)
        .where(stock.c.product_id.in_(wanted))
        .order_by(stock.c.product_id, warehouses.c.id)
    )).all()
    found: dict[int, list[WarehouseStock]] = {pid: [] for pid in wanted}
    for row in rows:
        found[row.product_id].append(WarehouseStock(warehouse=row.name, city=row.city, units=int(row.quantity)))
    return found


async def stock_levels(conn: AsyncConnection, product_ids: Iterable[int]) -> dict[int, int]:
    """Units available per product, summed over warehouses (0 when none)."""
    return {pid: sum(item.units for item in items) for pid, items in (await stock_by_warehouse(conn, product_ids)).items()}


async def take_stock(conn: AsyncConnection, product_id: int, warehouse_id: str, quantity: int) -> bool:
    """Remove `quantity` units if that many are there, atomically; False otherwise.

    One conditional UPDATE: concurrent callers can never drive stock below zero
    (the CHECK constraint backs this up).
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    result = await conn.execute(
        update(stock)
        .where(stock.c.product_id == product_id, stock.c.warehouse_id == warehouse_id, stock.c.quantity >= quantity)
        .values(quantity=stock.c.quantity - quantity)
    )
    return result.rowcount == 1


async def brands(conn: AsyncConnection) -> list[str]:
    """The brands of the active catalog, as stored ("Samsung", "JBL")."""
    rows = await conn.execute(select(products.c.brand).where(products.c.active.is_(True)).distinct().order_by(products.c.brand))
    return [row.brand for row in rows]
