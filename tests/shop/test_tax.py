"""IVA and discount arithmetic: exact to the centavo, never negative."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tools.shop.money import format_ars, percent_of, to_cents
from tools.shop.tax import TaxLine, breakdown, spread_discount

LINES = st.lists(
    st.builds(TaxLine, gross_cents=st.integers(1, 10_000_000_00), iva_rate=st.sampled_from(["21", "10.5"])), min_size=1, max_size=8
)


@given(LINES, st.data())
def test_breakdown_adds_up_to_the_discounted_total(lines: list[TaxLine], data: st.DataObject) -> None:
    gross = sum(l.gross_cents for l in lines)
    discount = data.draw(st.integers(0, gross))
    tax = breakdown(lines, discount)
    assert tax.total_cents == gross - discount
    assert min(tax.net_cents, tax.iva_21_cents, tax.iva_105_cents) >= 0
    if all(l.iva_rate == "21" for l in lines):
        assert tax.iva_105_cents == 0


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=10), st.data())
def test_discount_spread_is_exact_and_proportional(grosses: list[int], data: st.DataObject) -> None:
    discount = data.draw(st.integers(0, sum(grosses)))
    parts = spread_discount(grosses, discount)
    assert sum(parts) == discount
    assert all(0 <= p <= g for p, g in zip(parts, grosses))


def test_known_invoice_amounts() -> None:
    tax = breakdown([TaxLine(gross_cents=121_00, iva_rate="21"), TaxLine(gross_cents=110_50, iva_rate="10.5")])
    assert (tax.net_cents, tax.iva_21_cents, tax.iva_105_cents) == (200_00, 21_00, 10_50)


def test_money_helpers() -> None:
    assert to_cents("1234.565") == 123457 and percent_of(999, 10) == 100
    assert format_ars(1_234_567_89) == "$1.234.567,89" and format_ars(15_000_00) == "$15.000"
