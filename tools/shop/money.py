"""Money: integer centavos in the database, `Decimal` pesos in code, ARS formatting for customers."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def pesos(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def to_cents(amount: Decimal | int | str) -> int:
    """Pesos to centavos, rounding half up (never through float)."""
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(cents: int, percent: Decimal | int) -> int:
    """`percent` % of an amount in centavos, rounded half up to the centavo."""
    return int((Decimal(cents) * Decimal(percent) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_ars(cents: int) -> str:
    """1234567_89 -> "$1.234.567,89"; whole pesos drop the decimals ("$15.000")."""
    whole, frac = divmod(abs(cents), 100)
    text = f"{whole:,}".replace(",", ".")
    sign = "-" if cents < 0 else ""
    return f"{sign}${text}" + (f",{frac:02d}" if frac else "")
