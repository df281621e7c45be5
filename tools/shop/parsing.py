"""Tolerant parsing of what a model or a customer writes: amounts, flags, SKUs, coupon codes, order numbers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER = re.compile(r"\d{1,3}(?:\s\d{3})+(?![\d.,])|\d[\d.,]*")  # "1 200 000" (space grouped), or digits with . and ,
_MILLIONS = re.compile(r"\s*(millones|millón|millon|mill|palos?|m\b)")
_THOUSANDS = re.compile(r"\s*(mil\b|k\b|luquitas|lucas?)")
_ORDER_DIGITS = re.compile(r"\d{5,10}")
_TRUE_WORDS = {"true", "1", "si", "sí", "yes", "y", "s", "verdadero"}


def parse_amount(value: Any) -> Decimal | None:
    """A price in pesos from what a model or a customer writes; None when there is none.

    800000, "800000", "$800.000", "1 200 000", "800 mil", "800k", "300 lucas", "1,5 millones", "1.5M",
    "1.200.000,50". A dot before exactly three digits groups thousands, multiplier or not ("1.200" is 1200,
    "1.500 lucas" and "1.500 mil" are 1,500,000, as in Argentina); a comma before three digits groups them
    only without a multiplier ("1,200" is 1200, "1,5 millones" is 1,500,000).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        amount = Decimal(str(value))
        return amount if amount.is_finite() and amount > 0 else None
    text = str(value).strip().lower()
    match = _NUMBER.search(text)
    if not match:
        return None
    rest = text[match.end():]
    multiplier = 1
    if _MILLIONS.match(rest):
        multiplier = 1_000_000
    elif _THOUSANDS.match(rest):
        multiplier = 1_000
    number = re.sub(r"\s", "", match.group(0)).rstrip(".,")
    if "." in number and "," in number:
        decimal_sep = "." if number.rfind(".") > number.rfind(",") else ","
        thousands = "," if decimal_sep == "." else "."
        number = number.replace(thousands, "").replace(decimal_sep, ".")
    elif "." in number or "," in number:
        sep = "." if "." in number else ","
        head, _, tail = number.rpartition(sep)
        if number.count(sep) > 1 or (len(tail) == 3 and (sep == "." or multiplier == 1)):
            number = number.replace(sep, "")
        else:
            number = head.replace(sep, "") + "." + tail
    try:
        amount = Decimal(number) * multiplier
    except InvalidOperation:
        return None
    return amount if amount > 0 else None


def parse_flag(value: Any) -> bool:
    """True for True, "true", "sí", "si", "yes", "1", "con stock"..."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    text = str(value or "").strip().lower()
    return text in _TRUE_WORDS or "stock" in text and "sin" not in text


def parse_skus(value: Any) -> list[str]:
    """["nb-asu-00001", "CEL-SAM-00002"] or "NB-ASU-00001, CEL-SAM-00002 y ..." -> distinct upper-case SKUs."""
    if isinstance(value, (list, tuple)):
        raw = [str(item) for item in value]
    else:
        raw = re.split(r"[,;\n]|\s+y\s+|\s+", str(value or ""))
    seen: list[str] = []
    for item in raw:
        sku = item.strip().strip("\"'.()[]").upper()
        if sku and sku not in seen:
            seen.append(sku)
    return seen


def parse_coupon_code(value: Any) -> str:
    """"el cupón bienvenida10" -> "BIENVENIDA10" (the word with a digit, else the last word; "" when none)."""
    words = re.findall(r"[A-Za-z0-9ÁÉÍÓÚÑáéíóúñ_-]+", str(value or ""))
    if not words:
        return ""
    with_digit = [w for w in words if any(ch.isdigit() for ch in w)]
    return (with_digit[-1] if with_digit else words[-1]).upper()


def normalize_order_number(text: str) -> str | None:
    """"#4581230", "pedido 4581230", "orden nro. 4.581.230" -> "4581230"."""
    match = _ORDER_DIGITS.search(re.sub(r"(?<=\d)[.\s-](?=\d)", "", text))
    return match.group(0) if match else None
