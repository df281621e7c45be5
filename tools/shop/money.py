"""Money: integer centavos in the database, `Decimal` pesos in code, ARS formatting for customers.

Every stored amount and every computation is exact in centavos. What a customer reads as a
price is in whole pesos, as a shop shows it (`format_price`: "$1.619.999", rounded half up
to the peso); fiscal documents and amounts already charged keep their centavos (`format_ars`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")
PRECISION = 60
"""Significant digits for money arithmetic: exact far beyond any real amount (the default 28
made a model's max_price of 10**30 raise InvalidOperation)."""


def pesos(cents: int) -> Decimal:
    with localcontext(prec=PRECISION):
        return (Decimal(cents) / 100).quantize(CENT)


def to_cents(amount: Decimal | int | str) -> int:
    """Pesos to centavos, rounding half up (never through float). NaN and infinities raise ValueError."""
    value = Decimal(str(amount))
    if not value.is_finite():
        raise ValueError(f"not an amount of money: {amount!r}")
    with localcontext(prec=PRECISION):
        return int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))


def percent_of(cents: int, percent: Decimal | int) -> int:
    """`percent` % of an amount in centavos, rounded half up to the centavo."""
    with localcontext(prec=PRECISION):
        return int((Decimal(cents) * Decimal(percent) / 100).to_integral_value(rounding=ROUND_HALF_UP))


def format_ars(cents: int) -> str:
    """1234567_89 -> "$1.234.567,89"; whole pesos drop the decimals ("$15.000")."""
    whole, frac = divmod(abs(cents), 100)
    text = f"{whole:,}".replace(",", ".")
    sign = "-" if cents < 0 else ""
    return f"{sign}${text}" + (f",{frac:02d}" if frac else "")


def shown_cents(cents: int) -> int:
    """`cents` rounded half up (away from zero) to a whole peso, still in centavos: what a price tag shows."""
    whole, rest = divmod(abs(cents), 100)
    return (1 if cents >= 0 else -1) * (whole + (rest >= 50)) * 100


def format_price(cents: int) -> str:
    """A price as a shop shows it, in whole pesos: 1_619_999_10 -> "$1.619.999", 1_619_999_50 -> "$1.620.000"."""
    return format_ars(shown_cents(cents))
