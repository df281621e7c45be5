"""Argentine IVA arithmetic for invoices, in integer centavos.

Shop prices are final consumer prices (IVA included). For an invoice each line's
gross amount is split into net and IVA at its rate (21 % or 10.5 %). An order
discount is spread over the lines in proportion to their gross amounts (largest
remainder, so the centavos add up exactly). Type A invoices (customer with CUIT)
show net and IVA separately; type B show the final total.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel

RATES = {"21": Decimal(21), "10.5": Decimal("10.5")}


class TaxLine(BaseModel):
    gross_cents: int  # unit price × quantity, IVA included
    iva_rate: str  # "21" | "10.5"


class TaxBreakdown(BaseModel):
    net_cents: int
    iva_21_cents: int
    iva_105_cents: int

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.iva_21_cents + self.iva_105_cents


def spread_discount(grosses: list[int], discount_cents: int) -> list[int]:
    """Split `discount_cents` over lines in proportion to `grosses`; parts sum exactly."""
    total = sum(grosses)
    if discount_cents < 0 or discount_cents > total:
        raise ValueError("discount must be between 0 and the order's gross total")
    if total == 0:
        return [0 for _ in grosses]
    exact = [Decimal(g) * discount_cents / total for g in grosses]
    parts = [int(e) for e in exact]
    order = sorted(range(len(grosses)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in order[: discount_cents - sum(parts)]:
        parts[i] += 1
    return parts


def breakdown(lines: list[TaxLine], discount_cents: int = 0) -> TaxBreakdown:
    """Net and IVA per rate for lines whose prices include IVA."""
    shares = spread_discount([l.gross_cents for l in lines], discount_cents)
    net = iva21 = iva105 = 0
    for line, share in zip(lines, shares):
        gross = line.gross_cents - share
        rate = RATES[line.iva_rate]
        line_net = int((Decimal(gross) * 100 / (100 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        net += line_net
        if line.iva_rate == "21":
            iva21 += gross - line_net
        else:
            iva105 += gross - line_net
    return TaxBreakdown(net_cents=net, iva_21_cents=iva21, iva_105_cents=iva105)
