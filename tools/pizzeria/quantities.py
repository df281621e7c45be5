"""Quantities as customers and small models write them: "dos", "x2", "un par", "una docena", "-3", "½".

Pure and synchronous; `parse_quantity` reads a tool argument, `last_quantity` and
`suffix_quantity` read the words around an item the resolver found.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from tools.pizzeria import replies
from tools.text import normalize

MAX_QUANTITY = 30
"""More than this in one line is a phone call, not a chat order."""

_NUMBER_WORDS = {
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13,
    "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
    "veinte": 20, "veintiun": 21, "veintiuno": 21, "veintiuna": 21, "veintidos": 22, "veintitres": 23,
    "veinticuatro": 24, "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28,
    "veintinueve": 29, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "cien": 100,
    "mil": 1000, "millon": 1_000_000, "cero": 0, "ninguna": 0, "ninguno": 0,
}
_DIGITS = re.compile(r"^(?:x)?(\d+(?:[.,]\d+)?(?:e\d+)?)(?:x)?$")
_FRACTION = re.compile(r"^\d+/\d+$")
_HALF = {"media", "medio"}
FILLER = {"de", "del", "la", "las", "el", "los", "con", "y", "e", "mas", "tambien", "x", "por", "porfa"}



class ResolveError(ValueError):
    """A line that cannot be resolved; `str(error)` is a Spanish message for the customer."""


def parse_quantity(value: object) -> int | None:
    """A quantity from an int, "2", "dos", "2 x", "x2", "un par", "una docena" (= 12).

    Returns None when nothing numeric is there; raises ResolveError for fractional
    values ("2,5", "dos y media", "1/2") and for values that are no number at all
    (NaN, lists). Negative values ("-3", "menos tres") are returned for
    `check_quantity`, which refuses them (and anything above MAX_QUANTITY) with a reason.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (bool, list, tuple, dict, set)) or (isinstance(value, float) and math.isnan(value)):
        raise ResolveError(replies.UNREADABLE_QUANTITY)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isinf(value):
            return int(math.copysign(MAX_QUANTITY + 1, value))  # refused alike by check_quantity
        if not value.is_integer():
            raise ResolveError(replies.NOT_WHOLE)
        return int(value)
    raw = str(value).strip()
    negative = re.match(r"^-\s*(\d+)$", raw)
    if negative:
        return -int(negative.group(1)[:9])  # check_quantity refuses it with a reason; 9 digits say as much as 5000
    tokens = normalize(raw).split()
    if tokens[:1] == ["menos"] and len(tokens) > 1:
        rest = parse_quantity(" ".join(tokens[1:]))
        return -rest if rest is not None else None
    if _HALF & set(tokens) and tokens[:2] != ["media", "docena"] or any(_FRACTION.match(t) for t in tokens):
        raise ResolveError(replies.NOT_WHOLE)
    if tokens[:2] in (["un", "par"], ["par"]):
        return 2
    if tokens[:2] == ["media", "docena"]:
        return 6
    if tokens[:2] in (["una", "docena"], ["1", "docena"]) or tokens[:1] == ["docena"]:
        return 12
    for token in tokens:
        if token in _NUMBER_WORDS:
            return _NUMBER_WORDS[token]
        match = _DIGITS.match(token)
        if match:
            number = Decimal(match.group(1).replace(",", "."))
            if number > MAX_QUANTITY:
                return MAX_QUANTITY + 1  # refused alike; "1e999999999" is never expanded
            if number != int(number):
                raise ResolveError(replies.NOT_WHOLE)
            return int(number)
    return None


def check_quantity(quantity: int) -> int:
    """`quantity` if it is a sensible order quantity, else ResolveError."""
    if quantity < 1:
        raise ResolveError(replies.QUANTITY_AT_LEAST_ONE)
    if quantity > MAX_QUANTITY:
        raise ResolveError(replies.too_many(MAX_QUANTITY))
    return quantity


def last_quantity(tokens: list[str]) -> int | None:
    """The quantity written closest before an item ("y dos de muzza" -> 2, "menos dos" -> -2).

    Raises ResolveError for a fraction right before the item ("media muzza", "2,5 muzzas", "½ muzza");
    "medio litro de coca" is a size, not half a coca.
    """
    nearest = next((t for t in reversed(tokens) if t not in FILLER), None)
    if nearest in _HALF or (nearest and _FRACTION.match(nearest)):
        raise ResolveError(replies.NOT_WHOLE)
    for pos in range(len(tokens) - 1, -1, -1):
        token = tokens[pos]
        if token == "par" and pos and tokens[pos - 1] == "un":
            return 2
        if token in _NUMBER_WORDS or _DIGITS.match(token):
            quantity = parse_quantity(token)
            return -quantity if quantity and pos and tokens[pos - 1] == "menos" else quantity
    return None


def suffix_quantity(tokens: list[str]) -> int | None:
    for token in tokens:
        match = re.match(r"^x(\d+)$", token)
        if match:
            return int(match.group(1))
    if len(tokens) >= 2 and tokens[0] == "x" and tokens[1].isdigit():
        return int(tokens[1])
    return None
