"""Properties of the code that turns words into money (hypothesis).

Pizzeria: the item/size/quantity resolver on any text and any tool argument, number words and
digits, and order totals. Shop: money conversions, the IVA split, and the tier/promotion/coupon
discounts of `pricing.quote`. Expected amounts are recomputed here from menu.json or from the
arithmetic's definition (half-up rounding on integers), never read back from the code under test.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.pizzeria import order as order_math
from tools.pizzeria.menu import load_menu
from tools.pizzeria.order import Order
from tools.pizzeria.quantities import MAX_QUANTITY, ResolveError, parse_quantity
from tools.pizzeria.resolver import Line, find_mentions, resolve_line
from tools.settings import DATA_ROOT
from tools.shop.money import format_ars, percent_of, pesos, to_cents
from tools.shop.pricing import TIER_DISCOUNT_PERCENT, discount_cents, quote
from tools.shop.records import Customer, Product, Promotion
from tools.shop.tax import TaxLine, breakdown, spread_discount

MENU_JSON = json.loads((DATA_ROOT / "pizzeria" / "menu.json").read_text("utf-8"))
PRICES = {(i["id"], size): price for c in MENU_JSON["categories"] for i in c["items"] for size, price in i["prices"].items()}
CATEGORY_SIZES = {i["id"]: set(c["sizes"]) for c in MENU_JSON["categories"] for i in c["items"]}
ALIASES = [a for c in MENU_JSON["categories"] for i in c["items"] for a in [i["name"], *i["aliases"]]]
SIZE_WORDS = [w for c in MENU_JSON["categories"] for s_id, s in c["sizes"].items() for w in [s_id, s["label"], *s["aliases"]]]
SPELLED = {
    1: ["un", "una", "uno"], 2: ["dos"], 3: ["tres"], 4: ["cuatro"], 5: ["cinco"], 6: ["seis"], 7: ["siete"], 8: ["ocho"],
    9: ["nueve"], 10: ["diez"], 11: ["once"], 12: ["doce", "una docena"], 13: ["trece"], 14: ["catorce"], 15: ["quince"],
    16: ["dieciséis"], 17: ["diecisiete"], 18: ["dieciocho"], 19: ["diecinueve"], 20: ["veinte"], 21: ["veintiuno", "veintiuna"],
    22: ["veintidós"], 23: ["veintitrés"], 24: ["veinticuatro"], 25: ["veinticinco"], 26: ["veintiséis"],
    27: ["veintisiete"], 28: ["veintiocho"], 29: ["veintinueve"], 30: ["treinta"],
}
# Aliases a count can stand before without becoming part of them ("4 quesos", "1/4 de helado", "de carne").
PLAIN_ALIASES = sorted({a for a in ALIASES if not re.search(r"\d|^de |^un |^cuatro |^cuarto ", a.lower())})
VOCABULARY = ALIASES + SIZE_WORDS + [w for ws in SPELLED.values() for w in ws] + [
    "y", "de", "con", "x", "x2", "2", "0", "-1", "31", "2,5", "media", "medio", "docena", "docenas", "par", "un par", "menos",
    "sin", "mas", "½", "1/2", "1e9", "😀", "'", ";", "--", "%", "\x00", "\u202e", "\ud800",
]
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=120)  # surrogates and control codes included
SENTENCES = st.lists(st.sampled_from(VOCABULARY), max_size=12).map(" ".join)
ANY_ARGUMENT = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), SENTENCES, st.lists(st.integers(), max_size=3),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), "NaN", "1e999999999", "9" * 5000, "-" + "9" * 5000, "-3",
                     "dos y media", "½"]),
)
ITEMS = st.one_of(st.sampled_from(ALIASES), SENTENCES, ANY_TEXT, ANY_ARGUMENT)


def _check_lines(lines: list[Line]) -> None:
    for line in lines:
        assert (line.item_id, line.size) in PRICES, line
        assert 1 <= line.quantity <= MAX_QUANTITY, line


# --------------------------------------------------------------------------- resolver


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, SENTENCES))
def test_mentions_in_any_text_are_menu_items(text: str) -> None:
    for mention in find_mentions(text):
        assert mention.item_id in CATEGORY_SIZES
        assert mention.size is None or mention.size in CATEGORY_SIZES[mention.item_id]
        assert mention.quantity is None or isinstance(mention.quantity, int)
        assert mention.problem is None or (mention.quantity is None and mention.problem)


@settings(max_examples=400, deadline=None)
@given(ITEMS, ANY_ARGUMENT, st.one_of(st.sampled_from(SIZE_WORDS), ANY_ARGUMENT))
def test_any_tool_arguments_resolve_to_menu_lines_or_a_spanish_refusal(item: object, quantity: object, size: object) -> None:
    try:
        lines = resolve_line(item, quantity, size)
    except ResolveError as refusal:
        assert re.search(r"[a-záéíóúñ]{3,}", str(refusal)), "the refusal is a message for the customer"
        return
    assert lines
    _check_lines(lines)


@given(st.integers(1, MAX_QUANTITY), st.data())
def test_quantities_in_words_and_digits(n: int, data: st.DataObject) -> None:
    written = data.draw(st.sampled_from([*SPELLED[n], str(n), f"x{n}", f"{n} x", f"{n}.0", f" {n} "]))
    assert parse_quantity(written) == n
    if "docena" not in written:  # "una docena de empanadas" is one dozen, tested with the resolver's examples
        alias = data.draw(st.sampled_from(PLAIN_ALIASES))
        assert [m.quantity for m in find_mentions(f"{written} {alias}")] == [n], (written, alias)


@given(st.one_of(st.integers(MAX_QUANTITY + 1, 10**30), st.integers(-(10**30), 0)), st.sampled_from(PLAIN_ALIASES), st.booleans())
def test_quantities_out_of_range_are_refused(n: int, alias: str, in_text: bool) -> None:
    with pytest.raises(ResolveError, match="al menos 1|hasta 30"):
        resolve_line(f"{n} {alias}", size="grande") if in_text else resolve_line(alias, n, "grande")


@given(st.integers(0, 99), st.integers(1, 9), st.sampled_from(PLAIN_ALIASES), st.sampled_from([",", "."]))
def test_fractional_quantities_are_refused(whole: int, tenths: int, alias: str, mark: str) -> None:
    with pytest.raises(ResolveError, match="enteras|hasta 30"):
        resolve_line(f"{whole}{mark}{tenths} {alias}", size="grande")
    with pytest.raises(ResolveError, match="enteras"):
        parse_quantity(f"{whole}{mark}{tenths}") if whole < MAX_QUANTITY else parse_quantity(whole + tenths / 10)


# --------------------------------------------------------------------------- pizzeria order totals

LINES = st.lists(
    st.tuples(st.sampled_from(sorted(PRICES)), st.integers(1, MAX_QUANTITY)).map(lambda t: Line(item_id=t[0][0], size=t[0][1], quantity=t[1])),
    max_size=15,
)


def _pesos(text: str) -> list[int]:
    return [int(a.replace(".", "")) for a in re.findall(r"\$([\d.]+)", text)]


@settings(max_examples=200, deadline=None)
@given(LINES)
def test_order_total_is_the_sum_of_menu_priced_lines(lines: list[Line]) -> None:
    order = order_math.add(Order(), lines, load_menu())
    expected = sum(PRICES[(l.item_id, l.size)] * l.quantity for l in lines)
    assert order.total == sum(line.subtotal for line in order.items) == expected >= 0
    for line in order.items:
        assert line.unit_price == PRICES[(line.item_id, line.size)] and line.subtotal == line.unit_price * line.quantity
    assert _pesos(order.render()) == ([*(l.subtotal for l in order.items), order.total] if order.items else [])


STATE_LINES = st.lists(
    st.fixed_dictionaries({
        "item_id": st.one_of(st.sampled_from(sorted(CATEGORY_SIZES)), st.text(max_size=8)),
        "size": st.one_of(st.sampled_from(sorted({s for _, s in PRICES})), st.text(max_size=5)),
        "quantity": st.integers(-(10**6), 10**6),
        "unit_price": st.integers(), "subtotal": st.integers(),  # written by an old turn or tampered: ignored
    }),
    max_size=10,
)


@settings(max_examples=200, deadline=None)
@given(STATE_LINES, st.integers())
def test_an_order_rebuilt_from_any_state_is_repriced_from_the_menu(items: list[dict], claimed_total: int) -> None:
    order = Order.from_state({"items": items, "total": claimed_total}, load_menu())
    merged: dict[tuple[str, str], int] = {}
    for i in items:
        if (i["item_id"], i["size"]) in PRICES:
            merged[(i["item_id"], i["size"])] = merged.get((i["item_id"], i["size"]), 0) + i["quantity"]
    expected = {key: q for key, q in merged.items() if q > 0}
    assert {(l.item_id, l.size): l.quantity for l in order.items} == expected
    assert order.total == sum(PRICES[key] * q for key, q in expected.items()) >= 0


# --------------------------------------------------------------------------- shop money and IVA


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


@given(st.integers(-(10**40), 10**40), st.integers(-(10**9), 10**9))
def test_money_conversions_are_exact(cents: int, thousandths: int) -> None:
    assert to_cents(pesos(cents)) == cents and pesos(cents).as_tuple().exponent == -2
    assert to_cents(Decimal(thousandths) / 1000) == _half_up(thousandths, 10)
    text = format_ars(cents)
    whole, _, frac = text.lstrip("-$").replace(".", "").partition(",")
    assert (-1 if text.startswith("-") else 1) * (int(whole) * 100 + int(frac or 0)) == cents


@given(st.integers(0, 10**15), st.integers(0, 100))
def test_a_percentage_of_an_amount_never_exceeds_it(cents: int, percent: int) -> None:
    off = percent_of(cents, percent)
    assert off == _half_up(cents * percent, 100) and 0 <= off <= cents


TAX_LINES = st.lists(st.builds(TaxLine, gross_cents=st.integers(0, 10**12), iva_rate=st.sampled_from(["21", "10.5"])), max_size=10)


@settings(max_examples=300, deadline=None)
@given(TAX_LINES, st.data())
def test_net_plus_iva_is_the_discounted_total(lines: list[TaxLine], data: st.DataObject) -> None:
    gross = sum(l.gross_cents for l in lines)
    discount = data.draw(st.integers(0, gross))
    shares = spread_discount([l.gross_cents for l in lines], discount)
    assert sum(shares) == discount and all(0 <= s <= l.gross_cents for s, l in zip(shares, lines))
    assert gross == 0 or all(abs(s * gross - l.gross_cents * discount) < gross for s, l in zip(shares, lines)), "proportional"
    tax = breakdown(lines, discount)
    assert tax.net_cents + tax.iva_21_cents + tax.iva_105_cents == tax.total_cents == gross - discount
    assert min(tax.net_cents, tax.iva_21_cents, tax.iva_105_cents) >= 0
    for rate, iva in (("21", tax.iva_21_cents), ("10.5", tax.iva_105_cents)):
        base = sum(l.gross_cents - s for l, s in zip(lines, shares) if l.iva_rate == rate)
        count = sum(l.iva_rate == rate for l in lines)
        assert abs(Decimal(iva) - Decimal(base) * Decimal(rate) / (100 + Decimal(rate))) <= Decimal(count) / 2


@given(TAX_LINES, st.one_of(st.integers(max_value=-1), st.integers(min_value=1)))
def test_a_discount_outside_the_order_is_refused(lines: list[TaxLine], beyond: int) -> None:
    gross = sum(l.gross_cents for l in lines)
    discount = beyond if beyond < 0 else gross + beyond
    with pytest.raises(ValueError):
        breakdown(lines, discount)


# --------------------------------------------------------------------------- shop discounts

NOW = datetime(2026, 1, 1, 15, tzinfo=UTC)
TIERS = ["basic", "premium", "vip"]
CATEGORIES = ["notebooks", "notebooks-gamer", "celulares", "audio"]
PROMOTIONS = st.builds(
    Promotion,
    id=st.integers(1, 10**6), code=st.one_of(st.none(), st.just("CUPON10")), name=st.sampled_from(["Promo A", "Promo B"]),
    kind=st.sampled_from(["percent", "fixed"]), value=st.integers(-(10**6), 10**12),
    category_id=st.one_of(st.none(), st.sampled_from(CATEGORIES)), product_id=st.one_of(st.none(), st.integers(1, 3)),
    min_tier=st.one_of(st.none(), st.sampled_from(TIERS)), starts_at=st.just(NOW), ends_at=st.just(NOW),
)


def _customer(tier: str) -> Customer:
    return Customer(id="C9", user_id="549", name="X", email="x@example.com", tier=tier)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**13), st.sampled_from(TIERS), st.lists(PROMOTIONS, max_size=6), st.integers(1, 3),
       st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True))
def test_a_quote_never_goes_below_zero_nor_above_the_list_price(
    list_cents: int, tier: str, promos: list[Promotion], product_id: int, path: list[str]
) -> None:
    product = Product(id=product_id, sku="P", name="P", brand="B", category_id=path[0], price=Decimal(list_cents) / 100)
    priced = quote(product, _customer(tier), promos, path)
    tier_off = _half_up(list_cents * TIER_DISCOUNT_PERCENT[tier], 100)
    after_tier = list_cents - tier_off
    candidates = [0]
    for p in promos:
        scoped = p.product_id is not None or p.category_id is not None or p.min_tier is not None
        if scoped and p.product_id in (None, product_id) and p.category_id in (None, *path):
            off = _half_up(after_tier * p.value, 100) if p.kind == "percent" else p.value
            candidates.append(min(off, after_tier))
    amounts = (priced.list_price, priced.tier_discount, priced.promotion_discount, priced.final_price)
    assert all(isinstance(a, Decimal) and a.as_tuple().exponent == -2 for a in amounts)
    assert [to_cents(a) for a in amounts] == [list_cents, tier_off, max(candidates), after_tier - max(candidates)]
    assert 0 <= priced.final_price <= priced.list_price
    assert priced.final_price == priced.list_price - priced.tier_discount - priced.promotion_discount


@given(PROMOTIONS, st.sampled_from([("percent", 1, 100), ("fixed", 1, 10**12)]), st.data(), st.integers(0, 10**13))
def test_a_valid_coupon_or_promotion_discount_is_between_zero_and_the_price(
    promo: Promotion, kind: tuple[str, int, int], data: st.DataObject, price_cents: int
) -> None:
    """Valid as the schema's CHECKs define it: value > 0, a percentage at most 100."""
    valid = promo.model_copy(update={"kind": kind[0], "value": data.draw(st.integers(kind[1], kind[2]))})
    off = discount_cents(valid, price_cents)
    expected = _half_up(price_cents * valid.value, 100) if valid.kind == "percent" else valid.value
    assert off == min(expected, price_cents) and 0 <= off <= price_cents
