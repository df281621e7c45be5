"""The kitchen board's data (`/panel/pizzeria`): the service day's orders, decrypted here, and their status buttons."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import HTTPException

from gateway.notify import Notifier
from tools.jsonstore import StoreError
from tools.pizzeria import stores
from tools.pizzeria.stores import OrderStatus, SavedOrder, StatusRefused

NEXT_LABELS = {
    OrderStatus.COOKING: "Empezar a preparar",
    OrderStatus.ON_THE_WAY: "Salió: en camino",
    OrderStatus.DELIVERED: "Entregado",
}
CANCEL_REASONS = ["Sin stock", "Fuera de la zona de entrega", "El cliente no responde", "El cliente lo pidió", "Pedido duplicado"]
CSS_CLASS = {status: status.name.lower().replace("_", "-") for status in OrderStatus}


async def context() -> dict[str, Any]:
    """What the board shows: open orders oldest first (the kitchen's queue), then the finished ones, newest first."""
    try:
        orders = await asyncio.to_thread(stores.orders().of_day)
    except StoreError:
        return {"orders_error": "No pude leer los pedidos (pedidos.json). Reintento en unos segundos.", "open": [], "done": []}
    open_orders = sorted((o for o in orders if o.is_open), key=lambda o: o.order_id)
    done = sorted((o for o in orders if not o.is_open), key=lambda o: -o.order_id)
    counts = {status: sum(1 for o in orders if o.status == status) for status in OrderStatus}
    return {"open": open_orders, "done": done, "counts": counts, "next_labels": NEXT_LABELS, "css": CSS_CLASS,
            "cancel_reasons": CANCEL_REASONS, "statuses": OrderStatus}


async def change_status(notifier: Notifier, order_id: int, status: str, by: str, reason: str | None) -> SavedOrder:
    """Apply a board button (409 with the reason when the order cannot take it) and tell the customer."""
    try:
        wanted = OrderStatus(status)
    except ValueError:
        raise HTTPException(422, detail=f"Estado desconocido: {status!r}.") from None
    try:
        order, change = await asyncio.to_thread(stores.orders().change_status, order_id, wanted, by, reason)
    except StatusRefused as refused:
        raise HTTPException(409, detail=str(refused)) from None
    except StoreError:
        raise HTTPException(503, detail="No pude guardar el cambio. Probá de nuevo en un momento.") from None
    if change is not None:
        await notifier.status_changed(order, change)
    return order
