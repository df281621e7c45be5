"""The pizzeria's runtime data: customers (`clientes.json`) and orders (`pedidos.json`).

Both live in `PIZZERIA_DATA_DIR`; `clientes.json` is seeded from `data/pizzeria/`
on first use. Nothing under `data/` is written at run time.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tools.jsonstore import JsonFile
from tools.settings import get_settings


class Customer(BaseModel):
    name: str
    address: str | None = None
    created_at: str | None = None


class SavedOrder(BaseModel):
    order_id: int
    order_key: str
    user_id: str
    customer_name: str | None
    items: list[dict[str, Any]]
    total: int
    address: str
    created_at: str


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class CustomerStore:
    def __init__(self, data_dir: Path, seed_dir: Path) -> None:
        self.file = JsonFile(data_dir / "clientes.json", dict, seed_dir / "clientes.json")

    def get(self, user_id: str) -> Customer | None:
        record = self.file.read().get(user_id)
        return Customer.model_validate(record) if record else None

    def register(self, user_id: str, name: str) -> Customer:
        """Create the customer, or rename an existing one."""

        def change(doc: dict[str, Any]) -> tuple[dict[str, Any], Customer]:
            record = doc.get(user_id) or {"created_at": _now()}
            record["name"] = name
            doc[user_id] = record
            return doc, Customer.model_validate(record)

        return self.file.update(change)

    def remember_address(self, user_id: str, address: str) -> None:
        def change(doc: dict[str, Any]) -> tuple[dict[str, Any] | None, None]:
            if user_id not in doc:
                return None, None
            doc[user_id]["address"] = address
            return doc, None

        self.file.update(change)


class OrderStore:
    def __init__(self, data_dir: Path) -> None:
        self.file = JsonFile(data_dir / "pedidos.json", list)

    def all(self) -> list[SavedOrder]:
        return [SavedOrder.model_validate(o) for o in self.file.read()]

    def save_once(self, order_key: str, record: dict[str, Any]) -> tuple[SavedOrder, bool]:
        """Append the order unless one with `order_key` exists; return (order, created).

        The key check and the append happen under one lock and one atomic
        replace, so retries and concurrent sessions never write an order twice.
        """

        def change(orders: list[dict[str, Any]]) -> tuple[list[dict[str, Any]] | None, tuple[SavedOrder, bool]]:
            for existing in orders:
                if existing["order_key"] == order_key:
                    return None, (SavedOrder.model_validate(existing), False)
            order_id = max((o["order_id"] for o in orders), default=1000) + 1
            saved = SavedOrder.model_validate({**record, "order_id": order_id, "order_key": order_key, "created_at": _now()})
            return [*orders, saved.model_dump()], (saved, True)

        return self.file.update(change)


@functools.cache
def _stores(data_dir: Path, seed_dir: Path) -> tuple[CustomerStore, OrderStore]:
    return CustomerStore(data_dir, seed_dir), OrderStore(data_dir)


def customers() -> CustomerStore:
    settings = get_settings()
    return _stores(settings.pizzeria_data_dir, settings.pizzeria_seed_dir)[0]


def orders() -> OrderStore:
    settings = get_settings()
    return _stores(settings.pizzeria_data_dir, settings.pizzeria_seed_dir)[1]
