"""The invoice_agent's tool: issuing (or finding) the invoice of one of the customer's orders."""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools import turn_key
from tools.shop import replies, tool_common
from tools.shop.invoicing import InvoiceRefused, has_invoice, invoice_order
from tools.shop.money import to_cents
from tools.shop.tool_common import charged_amount, guarded, order_not_found, own_order


@guarded
async def request_invoice(order_number: str, tool_context: ToolContext) -> dict[str, Any]:
    """Emite la factura de un pedido del cliente y la envía por e-mail.

    Args:
      order_number: número de pedido (7 dígitos).
    """
    found = await own_order(order_number, tool_context)
    if isinstance(found, dict):
        return found
    engine, customer, own = found
    number, key = own.number, turn_key.current()
    async with engine.connect() as conn:
        already = await has_invoice(conn, own.id, key)  # a retried turn says "emitida" again, as the first time
    try:
        invoice = await invoice_order(engine, customer, number, tool_common.now(), turn_key=key)
    except InvoiceRefused as refused:
        return {"ok": False, "found": True, "order_number": number, "error": "not_invoiceable",
                "message": replies.invoice_not_paid(refused.order_number)}
    if invoice is None:
        return order_not_found(number)
    new = not already  # only the wording depends on it; a concurrent first request may say "ya estaba"
    kind = "A" if invoice.invoice_type == "A" else "B"
    return {"ok": True, "found": True, "order_number": invoice.order_number, "invoice_number": invoice.number,
            "invoice_type": kind, "total": charged_amount(invoice.total), "total_cents": to_cents(invoice.total),
            "emailed_to": customer.email, "newly_issued": new,
            "message": replies.invoice_issued(kind, invoice.number, invoice.order_number, charged_amount(invoice.total),
                                              customer.email, new=new)}
