"""Invoices: A/B by CUIT, IVA in code, one per order, e-mail queued in the same transaction."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.shop.factories import NOW, make_shop
from tools.crypto import get_cipher
from tools.shop import catalog
from tools.shop.invoicing import InvoiceRefused, invoice_order
from tools.shop.schema import invoices, outbox


async def _customer(engine: AsyncEngine, user_id: str):
    async with engine.connect() as conn:
        return await catalog.customer_by_user_id(conn, user_id)


async def test_consumer_gets_type_b_with_the_order_total(engine: AsyncEngine) -> None:
    await make_shop(engine)
    ana = await _customer(engine, "u-basic")
    invoice = await invoice_order(engine, ana, "#4581230", NOW)
    assert invoice is not None and invoice.invoice_type == "B" and invoice.number == "0003-00000001"
    assert invoice.total == Decimal("2000000.00") == invoice.net + invoice.iva_21 + invoice.iva_105
    assert invoice.iva_105 > 0 and invoice.iva_21 > 0  # a notebook (10.5 %) and headphones (21 %)
    assert "FACTURA B" in invoice.rendered_text and "TOTAL: $2.000.000" in invoice.rendered_text
    assert "Neto gravado" not in invoice.rendered_text
    async with engine.connect() as conn:
        mails = (await conn.execute(select(outbox.c.recipient, outbox.c.subject, outbox.c.status))).all()
    assert [(get_cipher().decrypt(m.recipient), m.status) for m in mails] == [("ana@example.com", "pending")]
    assert mails[0].recipient != "ana@example.com"  # stored encrypted
    assert "0003-00000001" in mails[0].subject


async def test_customer_with_cuit_gets_type_a_with_iva_shown(engine: AsyncEngine) -> None:
    await make_shop(engine)
    pablo = await _customer(engine, "u-premium")
    invoice = await invoice_order(engine, pablo, "4581231", NOW)
    assert invoice is not None and invoice.invoice_type == "A" and invoice.customer_cuit == "20-12345678-6"
    assert invoice.net == Decimal("132231.40") and invoice.iva_21 == Decimal("27768.60")
    assert "Neto gravado: $132.231,40" in invoice.rendered_text and "IVA 21 %: $27.768,60" in invoice.rendered_text


async def test_an_order_is_invoiced_once_even_when_asked_at_the_same_time(engine: AsyncEngine) -> None:
    await make_shop(engine)
    ana = await _customer(engine, "u-basic")
    results = await asyncio.gather(*(invoice_order(engine, ana, "4581230", NOW) for _ in range(5)))
    assert len({r.number for r in results if r}) == 1
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(invoices))).scalar() == 1
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar() == 1


async def test_other_peoples_orders_and_unpaid_orders(engine: AsyncEngine) -> None:
    await make_shop(engine)
    ana = await _customer(engine, "u-basic")
    assert await invoice_order(engine, ana, "4581231", NOW) is None  # Pablo's order: same as missing
    assert await invoice_order(engine, ana, "1234567", NOW) is None
    with pytest.raises(InvoiceRefused):
        await invoice_order(engine, ana, "4581232", NOW)  # still pending payment
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(invoices))).scalar() == 0
