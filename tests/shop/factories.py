"""A tiny hand-made shop for repository tests (the seed generator has its own tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from tools.shop.schema import (
    categories,
    customers,
    order_lines,
    orders,
    products,
    promotions,
    stock,
    warehouses,
)

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@dataclass
class Shop:
    now: datetime = NOW


async def make_shop(engine: AsyncEngine, extra_customers: int = 0) -> Shop:
    async with engine.begin() as conn:
        await conn.execute(categories.insert(), [
            {"id": "computacion", "name": "Computación", "parent_id": None, "description": ""},
            {"id": "notebooks", "name": "Notebooks", "parent_id": "computacion", "description": ""},
            {"id": "notebooks-gamer", "name": "Notebooks gamer", "parent_id": "notebooks", "description": ""},
            {"id": "audio", "name": "Audio", "parent_id": None, "description": ""},
        ])
        people = [
            {"id": "C0001", "user_id": "u-basic", "name": "Ana Basic", "email": "ana@example.com", "tier": "basic",
             "role": "customer", "cuit": None},
            {"id": "C0002", "user_id": "u-premium", "name": "Pablo Premium", "email": "pablo@example.com", "tier": "premium",
             "role": "premium_customer", "cuit": "20-12345678-6"},
            {"id": "C0003", "user_id": "u-vip", "name": "Vera Vip", "email": "vera@example.com", "tier": "vip",
             "role": "premium_customer", "cuit": None},
        ] + [
            {"id": f"X{i:04d}", "user_id": f"u-extra-{i}", "name": f"Extra {i}", "email": f"x{i}@example.com",
             "tier": "basic", "role": "customer", "cuit": None}
            for i in range(extra_customers)
        ]
        await conn.execute(customers.insert(), [p | {"phone": None, "preferences": "{}", "created_at": NOW} for p in people])
        await conn.execute(products.insert(), [
            {"id": 1, "sku": "NB-1", "name": "Notebook Gamer ASUS TUF RTX 4060", "brand": "ASUS", "category_id": "notebooks-gamer",
             "description": "", "attributes": '{"gpu": "RTX 4060"}', "price_cents": 2_000_000_00, "iva_rate": "10.5",
             "active": True, "updated_at": NOW},
            {"id": 2, "sku": "AU-1", "name": "Auriculares JBL Tune 520BT", "brand": "JBL", "category_id": "audio",
             "description": "", "attributes": "{}", "price_cents": 80_000_00, "iva_rate": "21", "active": True, "updated_at": NOW},
            {"id": 3, "sku": "NB-2", "name": "Notebook Lenovo IdeaPad", "brand": "Lenovo", "category_id": "notebooks",
             "description": "", "attributes": "{}", "price_cents": 900_000_00, "iva_rate": "10.5", "active": False, "updated_at": NOW},
        ])
        await conn.execute(warehouses.insert(), [{"id": "CABA", "name": "Depósito CABA", "city": "CABA"},
                                                 {"id": "COR", "name": "Depósito Córdoba", "city": "Córdoba"}])
        await conn.execute(stock.insert(), [
            {"product_id": 1, "warehouse_id": "CABA", "quantity": 10},
            {"product_id": 1, "warehouse_id": "COR", "quantity": 2},
            {"product_id": 2, "warehouse_id": "CABA", "quantity": 0},
        ])
        day = timedelta(days=1)
        await conn.execute(promotions.insert(), [
            {"id": 1, "code": None, "name": "Semana gamer", "description": "", "kind": "percent", "value": 10,
             "category_id": "notebooks", "product_id": None, "min_tier": None, "starts_at": NOW - day, "ends_at": NOW + day,
             "usage_limit": None, "used_count": 0, "active": True},
            {"id": 2, "code": None, "name": "Vencida", "description": "", "kind": "percent", "value": 50,
             "category_id": None, "product_id": 2, "min_tier": None, "starts_at": NOW - 10 * day, "ends_at": NOW - day,
             "usage_limit": None, "used_count": 0, "active": True},
            {"id": 3, "code": "HOTSALE10", "name": "Hot Sale", "description": "", "kind": "percent", "value": 10,
             "category_id": None, "product_id": None, "min_tier": None, "starts_at": NOW - day, "ends_at": NOW + day,
             "usage_limit": 10, "used_count": 0, "active": True},
            {"id": 4, "code": "VIPONLY", "name": "Solo VIP", "description": "", "kind": "fixed", "value": 5_000_00,
             "category_id": None, "product_id": None, "min_tier": "vip", "starts_at": NOW - day, "ends_at": NOW + day,
             "usage_limit": None, "used_count": 0, "active": True},
            {"id": 5, "code": None, "name": "Auriculares VIP", "description": "", "kind": "fixed", "value": 20_000_00,
             "category_id": None, "product_id": 2, "min_tier": "vip", "starts_at": NOW - day, "ends_at": NOW + day,
             "usage_limit": None, "used_count": 0, "active": True},
        ])
        await conn.execute(orders.insert(), [
            {"id": 1, "number": "4581230", "customer_id": "C0001", "status": "shipped", "created_at": NOW - 3 * day,
             "subtotal_cents": 2_080_000_00, "discount_cents": 80_000_00, "total_cents": 2_000_000_00,
             "shipping_address": "Av. Corrientes 1234, CABA", "promotion_id": None},
            {"id": 2, "number": "4581231", "customer_id": "C0002", "status": "delivered", "created_at": NOW - 5 * day,
             "subtotal_cents": 160_000_00, "discount_cents": 0, "total_cents": 160_000_00,
             "shipping_address": "Bv. Oroño 950, Rosario", "promotion_id": None},
            {"id": 3, "number": "4581232", "customer_id": "C0001", "status": "pending", "created_at": NOW - day,
             "subtotal_cents": 80_000_00, "discount_cents": 0, "total_cents": 80_000_00,
             "shipping_address": "Av. Corrientes 1234, CABA", "promotion_id": None},
        ])
        await conn.execute(order_lines.insert(), [
            {"order_id": 1, "line_no": 1, "product_id": 1, "quantity": 1, "unit_price_cents": 2_000_000_00},
            {"order_id": 1, "line_no": 2, "product_id": 2, "quantity": 1, "unit_price_cents": 80_000_00},
            {"order_id": 2, "line_no": 1, "product_id": 2, "quantity": 2, "unit_price_cents": 80_000_00},
            {"order_id": 3, "line_no": 1, "product_id": 2, "quantity": 1, "unit_price_cents": 80_000_00},
        ])
    return Shop()
