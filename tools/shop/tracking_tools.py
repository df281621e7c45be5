"""The tracking_agent's tools: an order's status and shipment, the customer's recent orders, staff lookup of any order."""

from __future__ import annotations

import logging
from typing import Any

from google.adk.tools import ToolContext
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.shop import replies, runtime, tool_common
from tools.shop.carriers import (
    LocalCarrier,
    TrackingError,
    carrier_for,
    shipment_for_order,
)
from tools.shop.money import to_cents
from tools.shop.orders import any_order, recent_orders
from tools.shop.parsing import normalize_order_number
from tools.shop.records import Order
from tools.shop.tool_common import (
    NOT_IDENTIFIED,
    ask_order_number,
    charged_amount,
    guarded,
    local_date,
    own_order,
    session_customer,
)

log = logging.getLogger(__name__)

RECENT_ORDERS = 5


async def _order_status(engine: AsyncEngine, order_id: int, number: str, status: str) -> dict[str, Any]:
    """Order status plus the carrier's tracking (Spanish status, last location, ETA)."""
    shipment = await shipment_for_order(engine, order_id)
    data: dict[str, Any] = {"ok": True, "found": True, "order_number": number, "order_status": status,
                            "order_status_es": replies.order_status(status)}
    if shipment is None:
        return data | {"message": replies.order_without_shipment(number, status)}
    carrier = carrier_for(shipment.carrier, engine)
    if isinstance(carrier, LocalCarrier):
        carrier.clock = tool_common.now
    try:
        info = await carrier.track(shipment.tracking_number)
    except TrackingError:
        log.warning("tracking %s failed", shipment.tracking_number, exc_info=True)
        info = None
    data |= {"carrier": shipment.carrier, "tracking_number": shipment.tracking_number}
    if info is None:
        return data | {"message": replies.tracking_unavailable(number, shipment.carrier, shipment.tracking_number)}
    eta = local_date(info.estimated_delivery)
    delivered = local_date(info.delivered_at)
    data |= {"shipment_status": info.status, "status_es": info.status_text_es, "last_location": info.last_location,
             "estimated_delivery": eta, "delivered_at": delivered, "delayed": info.delayed}
    return data | {"message": replies.order_tracking(
        number=number, status_text=info.status_text_es, last_location=info.last_location, delivered=delivered,
        eta=eta, delayed=info.delayed, carrier=shipment.carrier, tracking_number=shipment.tracking_number)}


def _items(order: Order) -> list[str]:
    """The order's lines as "2 x Mouse"."""
    return [f"{line.quantity} x {line.name}" for line in order.lines]


@guarded
async def track_order(order_number: str, tool_context: ToolContext) -> dict[str, Any]:
    """Dónde está un pedido del cliente y cuándo llega.

    Args:
      order_number: número de pedido (7 dígitos).
    """
    found = await own_order(order_number, tool_context)
    if isinstance(found, dict):
        return found
    engine, _customer, order = found
    return await _order_status(engine, order.id, order.number, order.status)


@guarded
async def my_recent_orders(tool_context: ToolContext) -> dict[str, Any]:
    """Los últimos pedidos del cliente, con estado y total."""
    engine = await runtime.get_engine()
    async with engine.connect() as conn:
        customer = await session_customer(conn, tool_context)
        if customer is None:
            return dict(NOT_IDENTIFIED)
        found = await recent_orders(conn, customer.id, limit=RECENT_ORDERS)
    if not found:
        return {"ok": True, "orders": [], "message": replies.NO_ORDERS}
    data = [{"order_number": o.number, "date": local_date(o.created_at), "status": o.status,
             "status_es": replies.order_status(o.status), "total": charged_amount(o.total),
             "total_cents": to_cents(o.total), "items": _items(o)}
            for o in found]
    lines = [replies.order_line(o.number, local_date(o.created_at), o.status, charged_amount(o.total), _items(o))
             for o in found]
    return {"ok": True, "orders": data, "message": replies.recent_orders(lines)}


@guarded
async def lookup_any_order(order_number: str, tool_context: ToolContext) -> dict[str, Any]:
    """Solo personal de soporte: cualquier pedido, de cualquier cliente.

    Args:
      order_number: número de pedido (7 dígitos).
    """
    engine = await runtime.get_engine()
    async with engine.connect() as conn:
        staff = await session_customer(conn, tool_context)
        if staff is None or staff.role != "support_staff":  # defense in depth; the callback refuses first
            return {"ok": False, "error": "forbidden", "message": replies.STAFF_ONLY_TOOL}
        number = normalize_order_number(str(order_number or ""))
        if number is None:
            return ask_order_number()
        order = await any_order(conn, number)
    if order is None:
        return {"ok": False, "found": False, "order_number": number, "message": replies.order_does_not_exist(number)}
    status = await _order_status(engine, order.id, order.number, order.status)
    date = local_date(order.created_at)
    status |= {"customer_id": order.customer_id, "customer_name": order.customer_name, "total": charged_amount(order.total),
               "date": date}
    status["message"] = (replies.staff_order_summary(order.customer_name, order.customer_id, date,
                                                     charged_amount(order.total), order.status)
                         + status["message"])
    return status
