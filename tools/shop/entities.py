"""Entities in a shop customer's message: order numbers, coupon codes, SKUs, brands/models, price ranges,
and what the customer asks for (to use a coupon, to see their orders), read from their own words.

Pure text parsing for the shop's router, its supervisor (which acts on what the words settle),
the tools (which hold a model's arguments against the words) and the scripted demo policy.
Amounts and order numbers are read by `tools.shop.parsing`, as the tools read their arguments.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic import BaseModel, Field

from tools.shop.parsing import normalize_order_number, parse_amount
from tools.text import normalize

BRANDS = [
    "samsung", "motorola", "moto", "xiaomi", "redmi", "apple", "iphone", "ipad", "macbook", "lenovo", "legion", "ideapad",
    "asus", "tuf", "rog", "hp", "omen", "victus", "dell", "alienware", "acer", "nitro", "predator", "msi", "lg", "tcl",
    "philips", "noblex", "jbl", "sony", "playstation", "ps5", "ps4", "xbox", "nintendo", "switch", "logitech", "hyperx",
    "redragon", "kingston", "western digital", "wd", "sandisk", "whirlpool", "drean", "gafa", "peabody", "atma", "bgh",
    "surrey", "liliana", "electrolux", "patrick", "gama", "oster", "nespresso", "dolce gusto", "huawei", "realme", "tp link",
    "tplink", "epson", "brother", "galaxy", "rtx",
]
_BRAND_RX = re.compile(r"\b(" + "|".join(re.escape(b) for b in sorted(BRANDS, key=len, reverse=True)) + r")\b")
_MODEL_RX = re.compile(
    r"\b(rtx ?\d{4}(?: ?ti)?|gtx ?\d{4}|rx ?\d{4}|iphone ?\d{1,2}(?: pro max| pro| plus)?|galaxy [a-z]\d{1,3}|"
    r"[asmgz] ?\d{2,3}(?: ultra| plus| fe)?|moto ?[ge] ?\d{1,3}|redmi note ?\d{1,2}|ps ?[45]|series [xs]|i[3579](?: ?\d{4,5}[a-z]*)?|"
    r"ryzen ?[3579]|\d{2} ?(?:pulgadas|\"|pulg))\b"
)
_ORDER_RX = re.compile(
    r"(?:#|\b(?:pedido|orden|compra|order|nro|numero|n|n°|no)\b\.?\s*(?:nro\.?|numero|n°|#)?\s*)?"
    r"\b(\d{1,3}(?:[.\s]\d{3}){1,2}|\d{6,8})\b"
)
_COUPON_RX = re.compile(r"\b([A-Z]{3,}[0-9]{1,3}|[A-Z]{4,}-?[0-9]{2,4})\b")
_COUPON_AFTER_WORD = re.compile(r"\b(?:cupon|codigo|voucher)\s+(?:de descuento\s+)?([a-z0-9-]{4,20})\b")
_AMOUNT = r"\$?\s?(\d{1,3}(?:[.\s]\d{3})+|\d+(?:[.,]\d+)?)\s*(millon(?:es)?|mil|k|lucas|luquitas|palos|m)?\b"
_SKU_RX = re.compile(r"\b[A-Z]{2,5}-[A-Z]{3}-\d{5}\b")
_FOREIGN_CURRENCY = re.compile(
    r"\b(?:dolar(?:es|citos)?|usd|dls|euros?|eur)\b|u\$[sd]|us\$|\d\s*(?:(?:mil|k|lucas)\s+)?verdes?\b"
)
_USE_VERB = re.compile(
    r"\b(?:usa(?:r|lo|melo)?|uso|use|usen|aplic\w*|apliq\w*|canje\w*|carga(?:r|lo|me|melo)?|activa(?:r|lo|me|melo)?|"
    r"ingresa(?:r|lo)?|redim\w*|pone(?:me|lo|melo)?|agrega(?:r|lo|me|melo)?|suma(?:r|lo|me|melo)?)\b"
)
_POSSIBILITY = re.compile(
    r"\b(?:puedo|se puede|podria usar|sirve|existe|es valido|vale|vigente|sigue|todavia|funciona|hasta cuando|cuanto|"
    r"que descuento|tengo que|como (?:lo |la |se )?(?:us|aplic|carg|canje|ingres)\w*|donde (?:lo |la |se )?\w+)\b"
)
_OWN_ORDERS = re.compile(
    r"\bmis (?:ultim[oa]s |\d+ )?(?:pedidos|pedios|compras|ordenes)\b|\bultim[oa]s? (?:\d+ )?(?:pedidos|compras|ordenes)\b|"
    r"\b(?:que|cuales) (?:pedidos|compras|ordenes) (?:tengo|hice)\b|\bhistorial\b"
)
_CUIT = re.compile(r"\b\d{2}-?\d{8}-?\d\b")
_MONEY_SPAN = re.compile(
    r"\$\s?[\d.,]+|\b(?:hasta|menos de|mas de|desde|entre|minimo|maximo|tope|arriba de|debajo de)\s+(?:de\s+)?\$?\s?[\d.,]+(?:\s+y\s+\$?\s?[\d.,]+)?"
)


class PriceRange(BaseModel):
    """Bounds in pesos; a bound that was named but is not an amount (such as 0) is None."""

    min: Decimal | None = None
    max: Decimal | None = None


class Entities(BaseModel):
    """What `extract` finds in one message."""

    order_numbers: list[str] = Field(default_factory=list)
    coupon_codes: list[str] = Field(default_factory=list)
    skus: list[str] = Field(default_factory=list)
    brands: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    price_range: PriceRange | None = None


def _amount(number: str, unit: str | None) -> Decimal | None:
    """An amount the price patterns matched ("800.000", "300" + "lucas"), read by `parse_amount`."""
    return parse_amount(f"{number} {unit}" if unit else number)


def price_range(norm: str) -> PriceRange | None:
    """ "hasta 500 mil", "menos de $800.000", "entre 300 y 600 lucas", "mas de 1 millon"."""
    between = re.search(r"\bentre\s+" + _AMOUNT + r"\s+y\s+" + _AMOUNT, norm)
    if between:
        low_unit = between.group(2) or between.group(4)
        return PriceRange(min=_amount(between.group(1), low_unit), max=_amount(between.group(3), between.group(4)))
    upper = re.search(r"\b(?:hasta|menos de|max(?:imo)?|no mas de|(?:por )?debajo de|tope|como mucho|mas barat[oa]s? que|"
                      r"q(?:ue)? no (?:pasen?|superen?) (?:de |los )?)\s*(?:de\s+)?" + _AMOUNT, norm)
    lower = re.search(r"\b(?:mas de|desde|minimo|arriba de|por encima de)\s+" + _AMOUNT, norm)
    if not (upper or lower):
        return None
    return PriceRange(
        min=_amount(lower.group(1), lower.group(2)) if lower else None,
        max=_amount(upper.group(1), upper.group(2)) if upper else None,
    )


def normalize_keep_symbols(text: str) -> str:
    """Lower-case text with accents stripped but '#' and '$' kept (they mark orders and amounts)."""
    return normalize(text.replace("#", " numeral ").replace("$", " pesos ")).replace("numeral ", "#").replace("pesos ", "$")


def extract(text: str) -> Entities:
    """Order numbers, coupon codes, brands, models and a price range named in `text`."""
    norm = normalize(text)
    orders = []
    without_money = _MONEY_SPAN.sub(" ", normalize_keep_symbols(_CUIT.sub(" ", text)))
    for match in _ORDER_RX.finditer(without_money):
        digits = normalize_order_number(match.group(1))
        if digits and 6 <= len(digits) <= 8 and digits not in orders:
            orders.append(digits)
    coupons = list(dict.fromkeys(m.group(1).replace("-", "") for m in _COUPON_RX.finditer(text)))
    coupons += [m.group(1).upper() for m in _COUPON_AFTER_WORD.finditer(norm) if m.group(1).upper() not in coupons]
    coupons = [c for c in coupons if not c.isdigit() and not re.fullmatch(r"(RTX|GTX|RX|PS|I)\d+", c)]
    skus = list(dict.fromkeys(m.group(0) for m in _SKU_RX.finditer(text.upper())))
    coupons = [c for c in coupons if not any(c in sku.replace("-", "") for sku in skus)]
    return Entities(
        order_numbers=orders,
        coupon_codes=coupons,
        skus=skus,
        brands=list(dict.fromkeys(m.group(1) for m in _BRAND_RX.finditer(norm))),
        models=list(dict.fromkeys(m.group(1) for m in _MODEL_RX.finditer(norm))),
        price_range=price_range(norm),
    )


def foreign_currency(text: str) -> bool:
    """The customer speaks of dollars or euros ("menos de 1500 dólares", "u$s 300", "2 mil verdes"): no amount
    of theirs is pesos."""
    return _FOREIGN_CURRENCY.search(normalize(text)) is not None


def coupon_requested(text: str, code: str) -> bool:
    """The customer's own words hold this coupon code and ask to use it ("aplicame BIENVENIDA10"), not whether
    it exists or can be used ("¿puedo usar el cupón HOTSALE15?", "¿sigue vigente?")."""
    if not code or code.upper() not in extract(text).coupon_codes:
        return False
    norm = normalize(text)
    return _USE_VERB.search(norm) is not None and _POSSIBILITY.search(norm) is None


def asks_for_own_orders(text: str) -> bool:
    """ "mis pedidos", "mis últimas compras", "¿qué pedidos tengo?"."""
    return _OWN_ORDERS.search(normalize(text)) is not None
