"""Pydantic records the repositories return (money as `Decimal` pesos, contact data decrypted)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from tools.crypto import get_cipher
from tools.shop.money import pesos


class Customer(BaseModel):
    id: str
    user_id: str
    name: str
    email: str
    phone: str | None = None
    tier: str = "basic"
    role: str = "customer"
    cuit: str | None = None
    preferences: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> Customer:
        data = dict(row._mapping)
        cipher = get_cipher()
        data["email"], data["phone"] = cipher.decrypt(data["email"]), cipher.decrypt(data.get("phone"))
        data["preferences"] = json.loads(cipher.decrypt(data.get("preferences")) or "{}")
        data.pop("created_at", None)
        data.pop("phone_hash", None)
        data["user_id"] = cipher.decrypt(data.pop("user_ref", None)) or data["user_id"]
        return cls.model_validate(data)


class CategoryNode(BaseModel):
    id: str
    name: str
    parent_id: str | None = None
    product_count: int = 0  # active products here and in every subcategory
    children: list[CategoryNode] = Field(default_factory=list)


class Product(BaseModel):
    id: int
    sku: str
    name: str
    brand: str
    category_id: str
    description: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)
    price: Decimal
    iva_rate: str = "21"
    active: bool = True

    @classmethod
    def from_row(cls, row: Any) -> Product:
        data = dict(row._mapping)
        data["attributes"] = json.loads(data.get("attributes") or "{}")
        data["price"] = pesos(data.pop("price_cents"))
        data.pop("updated_at", None)
        return cls.model_validate(data)


class Promotion(BaseModel):
    id: int
    code: str | None
    name: str
    description: str = ""
    kind: str  # percent | fixed
    value: int  # percent points, or centavos off
    category_id: str | None = None
    product_id: int | None = None
    min_tier: str | None = None
    starts_at: datetime
    ends_at: datetime
    usage_limit: int | None = None
    used_count: int = 0

    @classmethod
    def from_row(cls, row: Any) -> Promotion:
        data = dict(row._mapping)
        data.pop("active", None)
        return cls.model_validate(data)

    def describe(self) -> str:
        from tools.shop.money import format_ars

        amount = f"{self.value} %" if self.kind == "percent" else format_ars(self.value)
        return f"{self.name}: {amount} de descuento"


class PriceQuote(BaseModel):
    """A product's price for one customer: list price, tier discount, best promotion."""

    product_id: int
    list_price: Decimal
    tier_discount: Decimal
    promotion_discount: Decimal
    promotion: str | None = None
    final_price: Decimal


class OrderLine(BaseModel):
    line_no: int
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    iva_rate: str

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity


class Order(BaseModel):
    id: int
    number: str
    customer_id: str
    status: str
    created_at: datetime
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    shipping_address: str
    lines: list[OrderLine] = Field(default_factory=list)


class Invoice(BaseModel):
    id: int
    number: str
    order_number: str
    invoice_type: str
    customer_cuit: str | None
    net: Decimal
    iva_21: Decimal
    iva_105: Decimal
    total: Decimal
    issued_at: datetime
    rendered_text: str
