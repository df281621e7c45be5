"""How the pizzeria works: `data/pizzeria/pizzeria.json` (beside the menu), typed and read once.

Opening hours, delivery zones with fee and minimum, payment methods and the delivery
time rule. Everything here is pure: the moment is passed in (`tools.pizzeria.clock`),
and the readers below find a zone or a payment method in the customer's own words.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field

from tools.pizzeria import clock
from tools.settings import get_settings
from tools.text import normalize

_T = TypeVar("_T")

DAYS = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")  # datetime.weekday() order


class Zone(BaseModel):
    barrio: str
    aliases: list[str] = Field(default_factory=list)
    fee: int  # ARS added to the order's total
    minimum: int  # ARS: the items' total a delivery here needs


class PaymentMethod(BaseModel):
    id: str
    label: str
    aliases: list[str] = Field(default_factory=list)


class EtaRule(BaseModel):
    """`minutes_min`-`minutes_max`, plus `busy_extra_minutes` for every `busy_every_open_orders` orders in the kitchen."""

    minutes_min: int = 40
    minutes_max: int = 50
    busy_every_open_orders: int = 5
    busy_extra_minutes: int = 10

    def minutes(self, open_orders: int) -> tuple[int, int]:
        extra = (max(open_orders, 0) // max(self.busy_every_open_orders, 1)) * self.busy_extra_minutes
        return self.minutes_min + extra, self.minutes_max + extra


class Opening(BaseModel):
    """One opening on a day; a close earlier than the open is after midnight."""

    day: int  # 0 = Monday
    opens: time
    closes: time

    def span(self, week_start: datetime) -> tuple[datetime, datetime]:
        start = datetime.combine((week_start + timedelta(days=self.day)).date(), self.opens, week_start.tzinfo)
        end = datetime.combine(start.date(), self.closes, week_start.tzinfo)
        return start, end if end > start else end + timedelta(days=1)


class Business(BaseModel):
    timezone: str = "America/Argentina/Buenos_Aires"
    opening_hours: dict[str, list[tuple[str, str]]]
    delivery_zones: list[Zone]
    payment_methods: list[PaymentMethod]
    transfer_alias: str = ""
    eta: EtaRule = Field(default_factory=EtaRule)

    # ----------------------------------------------------------------- hours

    @property
    def openings(self) -> list[Opening]:
        return [
            Opening(day=DAYS.index(day), opens=time.fromisoformat(a), closes=time.fromisoformat(b))
            for day, spans in self.opening_hours.items() for a, b in spans
        ]

    def now(self) -> datetime:
        return clock.now(self.timezone)

    def _spans(self, moment: datetime) -> list[tuple[datetime, datetime]]:
        """Every opening from last week to next week around `moment`, in order."""
        monday = datetime.combine((moment - timedelta(days=moment.weekday())).date(), time(0), moment.tzinfo)
        return sorted(o.span(monday + timedelta(weeks=w)) for w in (-1, 0, 1) for o in self.openings)

    def open_until(self, moment: datetime | None = None) -> datetime | None:
        """When the current opening ends, or None when the pizzeria is closed at `moment` (default: now)."""
        moment = moment or self.now()
        return next((end for start, end in self._spans(moment) if start <= moment < end), None)

    def next_opening(self, moment: datetime | None = None) -> datetime | None:
        moment = moment or self.now()
        return next((start for start, _ in self._spans(moment) if start > moment), None)

    def is_open(self, moment: datetime | None = None) -> bool:
        return self.open_until(moment) is not None

    # ----------------------------------------------------------------- reading the customer's words

    def zone_in(self, text: str) -> Zone | None:
        """The delivery zone a text names ("¿llegan a palermo?", "Gorriti 4500, Palermo")."""
        return _named_in(text, ((zone, [zone.barrio, *zone.aliases]) for zone in self.delivery_zones))

    def address_zone(self, address: str) -> Zone | None:
        """The zone an address names after its street and number ("Cabildo 2040, Belgrano"; not "Belgrano 1500")."""
        match = re.search(r"[^\W\d_]{2,}\.?\s+(?:n\s?|nro\.?\s?|numero\s)?\d{1,5}\b", address, re.IGNORECASE)
        return self.zone_in(address[match.end():]) if match else None

    def payment_in(self, text: str) -> PaymentMethod | None:
        """The payment method a text names ("pago en efectivo", "con tarjeta")."""
        return _named_in(text, ((method, [method.label, *method.aliases]) for method in self.payment_methods))


def _named_in(text: str, named: Iterable[tuple[_T, list[str]]]) -> _T | None:
    """The first thing one of whose names stands whole in `text`, both normalized (`tools.text.normalize`)."""
    norm = f" {normalize(text)} "
    return next((thing for thing, names in named if any(f" {normalize(name)} " in norm for name in names)), None)


@functools.cache
def _load(path: Path) -> Business:
    return Business.model_validate(json.loads(path.read_text(encoding="utf-8")))


def load_business() -> Business:
    """`pizzeria.json` beside the configured menu, parsed once per process."""
    return _load(get_settings().pizzeria_menu_path.with_name("pizzeria.json"))


def closed_note(moment: datetime | None = None) -> str | None:
    """For `make run`: one line when the hours in pizzeria.json have the pizzeria closed now, else None."""
    business = load_business()
    moment = moment or business.now()
    if business.is_open(moment):
        return None
    opens = business.next_opening(moment)
    if opens is None:
        return "The pizzeria has no opening hours in data/pizzeria/pizzeria.json: it takes no order."
    return (f"The pizzeria is closed now by data/pizzeria/pizzeria.json's hours (opens {opens:%a %d/%m %H:%M}) and takes "
            f"no order; to try one now: PIZZERIA_NOW={opens.isoformat()} make run")


if __name__ == "__main__":
    if note := closed_note():
        print(note)
