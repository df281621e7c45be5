"""A catalog search's filters, held against the customer's own words: price bounds in pesos, currency, brand.

A small model gets filters wrong: "menos de 1500 dólares" became `min_price="1500"` (pesos,
and min for max). So when the customer's message is at hand, the bounds are the ones the
customer wrote ("hasta 800 mil", "entre 300 y 600 lucas"), whatever the model sent; an amount
in another currency is never used as pesos (the reply says our prices are in pesos); the
brand is one the customer named. Without a message (a direct call) the arguments are used as
given, read tolerantly.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tools.shop.entities import extract, foreign_currency
from tools.shop.money import format_price, to_cents
from tools.shop.parsing import parse_amount
from tools.text import normalize

log = logging.getLogger(__name__)


@dataclass
class SearchFilters:
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    brand: str | None = None
    in_stock: bool = False
    foreign_currency: bool = False  # the customer spoke of dollars or euros: no bound was applied

    def admits(self, price: Decimal) -> bool:
        """Within the price bounds (inclusive)."""
        return (self.min_price is None or price >= self.min_price) and (self.max_price is None or price <= self.max_price)

    def shown(self) -> dict[str, Any]:
        """The filters applied, as the customer reads them."""
        found: dict[str, Any] = {}
        if self.min_price is not None:
            found["min_price"] = format_price(to_cents(self.min_price))
        if self.max_price is not None:
            found["max_price"] = format_price(to_cents(self.max_price))
        if self.brand:
            found["brand"] = self.brand
        if self.in_stock:
            found["in_stock"] = True
        return found


def _ordered(low: Decimal | None, high: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    return (high, low) if low is not None and high is not None and low > high else (low, high)


def named_brand(words: str, brands: list[str], model_brand: str | None) -> str | None:
    """The catalog brand the customer named: the only one named, or the model's if the customer named it too."""
    norm = f" {normalize(words)} "
    named = [b for b in brands if re.search(rf"(?<![a-z0-9]){re.escape(normalize(b))}(?![a-z0-9])", norm)]
    if len(named) == 1:
        return named[0]
    wanted = normalize(model_brand or "")
    return next((b for b in named if normalize(b) == wanted), None)


def held_filters(model_min: Any, model_max: Any, model_brand: Any, words: str | None, brands: list[str]) -> SearchFilters:
    """The filters to apply: from the customer's `words` when there are any, else from the model's arguments."""
    brand = " ".join(str(model_brand or "").split()) or None
    if words is None:
        low, high = _ordered(parse_amount(model_min), parse_amount(model_max))
        return SearchFilters(min_price=low, max_price=high, brand=brand)
    held = SearchFilters(brand=named_brand(words, brands, brand))
    if foreign_currency(words):
        held.foreign_currency = True
    elif (said := extract(words).price_range) is not None:
        held.min_price, held.max_price = _ordered(said.min, said.max)
    asked = (parse_amount(model_min), parse_amount(model_max), brand)
    if asked != (held.min_price, held.max_price, held.brand):
        log.info("search filters held to the customer's words: model sent min=%r max=%r brand=%r, applied %s",
                 model_min, model_max, model_brand, held)
    return held
