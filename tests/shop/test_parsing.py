"""Reading amounts, currencies, coupon requests and SKUs the way an Argentine customer writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tools.shop.entities import (
    asks_for_own_orders,
    coupon_requested,
    extract,
    foreign_currency,
)
from tools.shop.money import format_ars, format_price, shown_cents
from tools.shop.parsing import parse_amount


@pytest.mark.parametrize(("text", "pesos"), [
    (800000, 800_000), ("800000", 800_000), ("$800.000", 800_000), ("1 200 000", 1_200_000), ("800 mil", 800_000),
    ("800k", 800_000), ("300 lucas", 300_000), ("1,5 millones", 1_500_000), ("1.5M", 1_500_000),
    ("1.200.000,50", Decimal("1200000.50")), ("1.200", 1_200), ("1,200", 1_200), ("2 palos", 2_000_000),
    # a dot before exactly three digits groups thousands, with a multiplier too
    ("1.500 lucas", 1_500_000), ("2.500 mil", 2_500_000), ("1.500 mil", 1_500_000), ("$1.500 lucas", 1_500_000),
    ("1.250 luquitas", 1_250_000),
    # a dot before one or two digits is a decimal point
    ("1.5 mil", 1_500), ("2.25 millones", 2_250_000),
])
def test_amounts(text: object, pesos: int | Decimal) -> None:
    assert parse_amount(text) == Decimal(pesos)


@pytest.mark.parametrize("text", ["", "nada", None, 0, True])
def test_not_amounts(text: object) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize("text", ["un celu q no pase los 800 mil", "algo mas barato que 800 mil", "como mucho $800.000",
                                  "que no supere los 800 lucas", "por debajo de 800 mil"])
def test_ways_to_say_a_maximum(text: str) -> None:
    found = extract(text).price_range
    assert found is not None and (found.min, found.max) == (None, 800_000)


def test_price_ranges_read_thousands_with_a_multiplier() -> None:
    found = extract("una notebook de hasta 1.500 lucas")
    assert found.price_range is not None and found.price_range.max == 1_500_000
    between = extract("entre 1.200 y 2.500 mil")
    assert between.price_range is not None
    assert (between.price_range.min, between.price_range.max) == (1_200_000, 2_500_000)


@pytest.mark.parametrize("text", ["menos de 1500 dólares", "hasta 300 USD", "algo por u$s 500", "que no pase los US$200",
                                  "hasta 2 mil verdes", "cuanto sale en dolares?", "hasta 900 euros"])
def test_foreign_currency(text: str) -> None:
    assert foreign_currency(text)


@pytest.mark.parametrize("text", ["hasta 800 mil", "auriculares verdes", "menos de $1.500.000", "celular samsung"])
def test_pesos_or_no_currency(text: str) -> None:
    assert not foreign_currency(text)


@pytest.mark.parametrize(("text", "code"), [
    ("quiero usar el cupon BIENVENIDA10", "BIENVENIDA10"), ("aplicame el BIENVENIDA10 porfa", "BIENVENIDA10"),
    ("tengo el cupon REGALO100, aplicamelo", "REGALO100"), ("¿me podés aplicar el cupón hotsale15?", "HOTSALE15"),
    ("canjeá AUDIO20", "AUDIO20"), ("usá el código BIENVENIDA10", "BIENVENIDA10"),
])
def test_a_request_to_use_a_coupon(text: str, code: str) -> None:
    assert coupon_requested(text, code)


@pytest.mark.parametrize(("text", "code"), [
    ("¿puedo usar el cupón HOTSALE15?", "HOTSALE15"), ("hay promos en auriculares?", "BIENVENIDA10"),
    ("el cupon HOTSALE15 sigue vigente?", "HOTSALE15"), ("existe el codigo AUDIO20?", "AUDIO20"),
    ("quiero usar el cupon BIENVENIDA10", "HOTSALE15"), ("tengo el cupón BIENVENIDA10", "BIENVENIDA10"),
    ("como uso el cupon AUDIO20?", "AUDIO20"), ("quiero usar un cupón", "BIENVENIDA10"),
])
def test_not_a_request_to_use_that_coupon(text: str, code: str) -> None:
    assert not coupon_requested(text, code)


@pytest.mark.parametrize("text", ["mis pedidos", "quiero ver mis ultimas compras", "que pedidos tengo?", "mi historial de compras"])
def test_own_orders(text: str) -> None:
    assert asks_for_own_orders(text)


def test_skus_in_a_message() -> None:
    assert extract("compará NB-ASU-00001 con nb-len-00002").skus == ["NB-ASU-00001", "NB-LEN-00002"]
    assert extract("busco una notebook asus").skus == []


@pytest.mark.parametrize(("cents", "shown"), [
    (1_619_999_10, "$1.619.999"), (1_619_999_50, "$1.620.000"), (1_619_999_49, "$1.619.999"), (15_000_00, "$15.000"),
    (99, "$1"), (0, "$0"), (-1_500_60, "-$1.501"),
])
def test_prices_shown_in_whole_pesos(cents: int, shown: str) -> None:
    assert format_price(cents) == shown
    assert shown_cents(cents) % 100 == 0


def test_fiscal_amounts_keep_centavos() -> None:
    assert format_ars(1_619_999_10) == "$1.619.999,10"
