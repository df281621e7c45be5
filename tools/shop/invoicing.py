"""Invoices for a customer's own orders: type A/B, IVA computed in code, e-mailed through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tools.settings import get_settings
from tools.shop.money import format_ars, pesos, to_cents
from tools.shop.orders import order_for_customer
from tools.shop.outbox import enqueue_email
from tools.shop.records import Customer, Invoice, Order
from tools.shop.schema import invoices
from tools.shop.tax import TaxBreakdown, TaxLine, breakdown

INVOICEABLE = ("paid", "shipped", "delivered")
NUMBER_RETRIES = 3


def invoice_type(customer: Customer) -> str:
    """"A" for a customer registered with a CUIT (responsable inscripto), else "B"."""
    return "A" if customer.cuit else "B"


def render(number: str, kind: str, customer: Customer, order: Order, tax: TaxBreakdown, issued_at: datetime) -> str:
    """Plain-text invoice, as e-mailed and shown."""
    settings = get_settings()
    lines = [
        f"FACTURA {kind}  N° {number}",
        f"{settings.shop_name} — CUIT {settings.shop_cuit} — IVA Responsable Inscripto",
        f"Fecha: {issued_at:%d/%m/%Y}",
        f"Cliente: {customer.name}" + (f" — CUIT {customer.cuit}" if customer.cuit else " — Consumidor final"),
        f"Pedido #{order.number}",
        "",
    ]
    for line in order.lines:
        lines.append(f"{line.quantity} x {line.name} ({line.sku})  {format_ars(to_cents(line.unit_price))}  "
                     f"= {format_ars(to_cents(line.subtotal))}")
    lines.append("")
    if order.discount:
        lines.append(f"Descuento: -{format_ars(to_cents(order.discount))}")
    if kind == "A":
        lines += [f"Neto gravado: {format_ars(tax.net_cents)}", f"IVA 21 %: {format_ars(tax.iva_21_cents)}",
                  f"IVA 10,5 %: {format_ars(tax.iva_105_cents)}"]
    lines.append(f"TOTAL: {format_ars(tax.total_cents)}")
    return "\n".join(lines)


async def has_invoice(conn: AsyncConnection, order_id: int, turn_key: str | None = None) -> bool:
    """Whether the order's invoice has already been issued (by another turn than `turn_key`)."""
    row = (await conn.execute(select(invoices.c.turn_key).where(invoices.c.order_id == order_id))).first()
    return row is not None and (turn_key is None or row.turn_key != turn_key)


async def _existing(conn: AsyncConnection, order: Order) -> Invoice | None:
    row = (await conn.execute(select(invoices).where(invoices.c.order_id == order.id))).first()
    return _invoice(row, order.number) if row else None


def _invoice(row, order_number: str) -> Invoice:  # type: ignore[no-untyped-def]
    return Invoice(
        id=row.id, number=row.number, order_number=order_number, invoice_type=row.invoice_type,
        customer_cuit=row.customer_cuit, net=pesos(row.net_cents), iva_21=pesos(row.iva_21_cents),
        iva_105=pesos(row.iva_105_cents), total=pesos(row.total_cents), issued_at=row.issued_at,
        rendered_text=row.rendered_text,
    )


async def _next_number(conn: AsyncConnection) -> str:
    point = get_settings().invoice_point_of_sale
    prefix = f"{point:04d}-"
    last = (await conn.execute(select(func.max(invoices.c.number)).where(invoices.c.number.like(prefix + "%")))).scalar()
    sequence = int(last.split("-")[1]) + 1 if last else 1
    return f"{prefix}{sequence:08d}"


class InvoiceRefused(ValueError):
    """The order cannot be invoiced yet: it is not paid (`order_number` says which one)."""

    def __init__(self, order_number: str) -> None:
        super().__init__(f"order {order_number} is not paid yet")
        self.order_number = order_number


async def invoice_order(engine: AsyncEngine, customer: Customer, order_number: str, now: datetime, *,
                        turn_key: str | None = None) -> Invoice | None:
    """Issue (or return the already issued) invoice for the customer's order and queue its e-mail.

    The invoice keeps `turn_key`, the service turn that issued it (`has_invoice` tells a
    retry of that turn from a later request).

    None when the order is not this customer's (same as missing). The invoice row
    and its e-mail are committed in one transaction; a concurrent request for the
    same order gets the same invoice (unique order_id).
    """
    for _ in range(NUMBER_RETRIES):
        try:
            async with engine.begin() as conn:
                order = await order_for_customer(conn, customer.id, order_number)
                if order is None:
                    return None
                existing = await _existing(conn, order)
                if existing:
                    return existing
                if order.status not in INVOICEABLE:
                    raise InvoiceRefused(order.number)
                tax = breakdown([TaxLine(gross_cents=to_cents(l.subtotal), iva_rate=l.iva_rate) for l in order.lines],
                                to_cents(order.discount))
                if tax.total_cents != to_cents(order.total):
                    raise RuntimeError(f"order {order.number}: lines and total disagree")
                kind = invoice_type(customer)
                number = await _next_number(conn)
                text = render(number, kind, customer, order, tax, now)
                inserted = await conn.execute(invoices.insert().values(
                    number=number, order_id=order.id, invoice_type=kind, customer_cuit=customer.cuit,
                    net_cents=tax.net_cents, iva_21_cents=tax.iva_21_cents, iva_105_cents=tax.iva_105_cents,
                    total_cents=tax.total_cents, issued_at=now, rendered_text=text, turn_key=turn_key,
                ))
                await enqueue_email(conn, kind="invoice_email", recipient=customer.email,
                                    subject=f"Tu factura {kind} {number} — pedido #{order.number}", body=text)
                row = (await conn.execute(select(invoices).where(invoices.c.id == inserted.inserted_primary_key[0]))).one()
                return _invoice(row, order.number)
        except IntegrityError:
            continue  # another request took this number or this order's invoice: look again
    raise RuntimeError("could not allocate an invoice number")
