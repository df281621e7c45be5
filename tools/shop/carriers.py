"""Shipment tracking behind one interface: the shop's own database or a carrier's HTTP API.

`carrier_for()` picks the implementation: `LocalCarrier` (shipments and events in
the shop database) unless `CARRIER_API_URL` is set, then `HttpCarrier`. Both return
a `TrackingInfo` with a Spanish status label ready for the customer, or None when
the tracking number is unknown.

All datetimes returned are timezone-aware. Naive values read back from SQLite are
UTC (the shop always stores UTC).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.settings import Settings, get_settings
from tools.shop.schema import shipment_events, shipments

log = logging.getLogger(__name__)

ARGENTINA = timezone(timedelta(hours=-3), "ART")  # no DST since 2009
"""Argentine civil time; delivery days (and Sundays) are counted in it."""

STATUS_LABELS_ES: dict[str, str] = {  # one per schema.SHIPMENT_STATUSES
    "preparing": "En preparación",
    "dispatched": "Despachado",
    "in_transit": "En camino",
    "out_for_delivery": "En reparto: llega hoy",
    "delivered": "Entregado",
    "failed_attempt": "Visita sin éxito: se reintenta la entrega",
    "returned": "Devuelto al remitente",
}

FINAL_STATUSES = ("delivered", "returned")


def status_label(status: str) -> str:
    """The customer-facing Spanish text for a shipment status (unknown ones are shown as reported)."""
    return STATUS_LABELS_ES.get(status, f"Estado informado por el correo: {status}")


class TrackingEvent(BaseModel):
    status: str
    location: str
    description: str
    occurred_at: datetime


class TrackingInfo(BaseModel):
    carrier: str
    tracking_number: str
    status: str
    status_text_es: str
    last_location: str | None = None
    events: list[TrackingEvent] = Field(default_factory=list)  # oldest first
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None
    eta_estimated: bool = False  # estimated_delivery is our estimate, not the carrier's promise
    delayed: bool = False  # the carrier's promised date passed and the parcel has not arrived


class ShipmentRef(BaseModel):
    """Which carrier took an order and under which tracking number."""

    carrier: str
    tracking_number: str


async def shipment_for_order(engine: AsyncEngine, order_id: int) -> ShipmentRef | None:
    """The order's shipment, or None while it has none (unpaid, cancelled, being prepared)."""
    async with engine.connect() as conn:
        row = (await conn.execute(
            select(shipments.c.carrier, shipments.c.tracking_number).where(shipments.c.order_id == order_id)
        )).first()
    return ShipmentRef(carrier=row.carrier, tracking_number=row.tracking_number) if row else None


class TrackingError(RuntimeError):
    """The carrier could not be asked, or answered something unusable (message for logs, not customers)."""


class Carrier(Protocol):
    async def track(self, tracking_number: str) -> TrackingInfo | None:
        """The shipment's tracking, or None when the carrier does not know the number."""
        ...


# --- ETA estimate -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CarrierProfile:
    km_per_day: int  # line-haul distance covered per working day
    handling_days: int  # working days from "preparing" to the parcel leaving the origin


CARRIER_PROFILES: dict[str, CarrierProfile] = {
    "andreani": CarrierProfile(km_per_day=600, handling_days=1),
    "oca": CarrierProfile(km_per_day=450, handling_days=2),
    "correo_argentino": CarrierProfile(km_per_day=350, handling_days=2),
    "mercado_envios": CarrierProfile(km_per_day=700, handling_days=1),
}
DEFAULT_PROFILE = CarrierProfile(km_per_day=400, handling_days=2)  # an unknown carrier: be conservative
DELIVERY_CUTOFF = time(20, 0)  # carriers deliver until 20 h; an ETA is "by the end of that day"


def _working_days_needed(profile: CarrierProfile, distance_km: int, status: str) -> int:
    transit = max(1, math.ceil(max(distance_km, 0) / profile.km_per_day))
    if status == "preparing":
        return profile.handling_days + transit
    if status in ("dispatched", "in_transit"):
        return transit  # progress along the route is unknown: assume the whole leg is ahead
    if status == "out_for_delivery":
        return 0
    if status == "failed_attempt":
        return 1  # carriers retry the next working day
    return profile.handling_days + transit  # unknown status: the most conservative path


def _add_working_days(start: date, days: int) -> date:
    day = start
    for _ in range(days):
        day += timedelta(days=1)
        while day.weekday() == 6:  # Sunday
            day += timedelta(days=1)
    while day.weekday() == 6:
        day += timedelta(days=1)
    return day


def estimate_delivery(carrier: str, distance_km: int, since: datetime, status: str) -> datetime | None:
    """When a shipment in `status` should arrive, counted from `since` (its last event).

    Model: each carrier has a typical line-haul speed and handling time
    (`CARRIER_PROFILES`; unknown carriers get `DEFAULT_PROFILE`). Working days needed:

    - preparing: handling days + ceil(distance_km / km_per_day) (at least 1 transit day);
    - dispatched / in_transit: the transit days (progress is unknown, so the whole leg);
    - out_for_delivery: the same day; failed_attempt: the next working day.

    Days are counted on the Argentine calendar from `since`'s date, skipping Sundays
    (public holidays are not modelled). The result is that day at 20:00 Argentine
    time; if that is not after `since` (an evening event), the next working day.
    Delivered and returned shipments get None. `since` must be timezone-aware
    (a naive value is taken as UTC).
    """
    if status in FINAL_STATUSES:
        return None
    profile = CARRIER_PROFILES.get(carrier, DEFAULT_PROFILE)
    local_since = as_utc(since).astimezone(ARGENTINA)
    day = _add_working_days(local_since.date(), _working_days_needed(profile, distance_km, status))
    eta = datetime.combine(day, DELIVERY_CUTOFF, tzinfo=ARGENTINA)
    if eta <= local_since:
        eta = datetime.combine(_add_working_days(day, 1), DELIVERY_CUTOFF, tzinfo=ARGENTINA)
    return eta


def as_utc(value: datetime) -> datetime:
    """Aware UTC datetime; naive values (SQLite returns them) are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- Local (database) carrier --------------------------------------------------------------------


class LocalCarrier:
    """Tracking read from the shop's `shipments` and `shipment_events` tables.

    The stored `estimated_delivery` is returned as is while it is in the future (or
    the shipment is delivered/returned). When it is missing, or already past for a
    shipment still on its way, `estimate_delivery()` recomputes it from the last
    event (or `shipped_at`, or now); a past promise also sets `delayed`. If even the
    re-estimate is past (a stalled shipment) it is counted from now, so the customer
    is never told a date that has already gone by.
    """

    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self.clock = clock

    async def track(self, tracking_number: str) -> TrackingInfo | None:
        number = tracking_number.strip()
        if not number:
            return None
        async with self.engine.connect() as conn:
            shipment = (await conn.execute(select(shipments).where(shipments.c.tracking_number == number))).first()
            if shipment is None:
                return None
            rows = (await conn.execute(
                select(shipment_events)
                .where(shipment_events.c.shipment_id == shipment.id)
                .order_by(shipment_events.c.occurred_at, shipment_events.c.id)
            )).all()
        events = [TrackingEvent(status=r.status, location=r.location, description=r.description,
                                occurred_at=as_utc(r.occurred_at)) for r in rows]
        eta, estimated, delayed = self._eta(shipment, events)
        return TrackingInfo(
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            status=shipment.status,
            status_text_es=status_label(shipment.status),
            last_location=events[-1].location if events else None,
            events=events,
            estimated_delivery=eta,
            delivered_at=as_utc(shipment.delivered_at) if shipment.delivered_at else None,
            eta_estimated=estimated,
            delayed=delayed,
        )

    def _eta(self, shipment: Any, events: list[TrackingEvent]) -> tuple[datetime | None, bool, bool]:
        """(estimated_delivery, whether we estimated it, whether the promised date was missed)."""
        stored = as_utc(shipment.estimated_delivery) if shipment.estimated_delivery else None
        if shipment.status in FINAL_STATUSES:
            return None, False, False
        now = as_utc(self.clock())
        if stored is not None and stored > now:
            return stored, False, False
        since = events[-1].occurred_at if events else (as_utc(shipment.shipped_at) if shipment.shipped_at else now)
        eta = estimate_delivery(shipment.carrier, shipment.distance_km, since, shipment.status)
        if eta is not None and eta <= now:
            eta = estimate_delivery(shipment.carrier, shipment.distance_km, now, shipment.status)
        return eta, True, stored is not None


# --- HTTP carrier --------------------------------------------------------------------------------


class _Payload(BaseModel):
    """The carrier API's JSON (see `HttpCarrier`)."""

    carrier: str | None = None
    tracking_number: str | None = None
    status: str
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None
    events: list[TrackingEvent] = Field(default_factory=list)


class HttpCarrier:
    """Tracking from a carrier (or aggregator) HTTP API.

    `GET {base_url}/tracking/{tracking_number}` (the number URL-encoded), with
    `Authorization: Bearer {api_key}` when a key is given. Expected answers:

    - 200 with JSON::

        {"carrier": "andreani",                 # optional: defaults to `carrier_name`
         "tracking_number": "AND000123",        # optional: defaults to the number asked
         "status": "in_transit",                # one of schema.SHIPMENT_STATUSES
         "estimated_delivery": "2026-11-24T20:00:00-03:00",   # ISO 8601 or null/absent
         "delivered_at": null,                  # ISO 8601 or null/absent
         "events": [{"status": "dispatched", "location": "CABA",
                     "description": "Salió del centro de distribución",
                     "occurred_at": "2026-11-20T10:00:00-03:00"}]}   # any order; sorted oldest first

    - 404: unknown number -> None.

    Connection errors, timeouts (`timeout_s` per request) and 5xx are retried
    `retries` times with a short exponential backoff (`backoff_s`, doubled each
    time); other 4xx are not. When the attempts run out, or the body is not the
    JSON above, `TrackingError` is raised. Worst case wall time is about
    `(retries + 1) * timeout_s + backoff`.
    """

    def __init__(self, base_url: str, api_key: str | None = None, timeout_s: float = 5, retries: int = 2,
                 *, backoff_s: float = 0.2, carrier_name: str = "carrier") -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self.carrier_name = carrier_name

    def _url(self, tracking_number: str) -> str:
        return f"{self.base_url}/tracking/{quote(tracking_number, safe='')}"

    async def track(self, tracking_number: str) -> TrackingInfo | None:
        number = tracking_number.strip()
        if not number:
            return None
        response = await self._get(number)
        if response is None:
            return None
        return self._parse(number, response)

    async def _get(self, number: str) -> httpx.Response | None:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url = self._url(number)
        last_problem = ""
        async with httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_s), headers=headers) as client:
            for attempt in range(self.retries + 1):
                if attempt:
                    await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
                try:
                    response = await client.get(url)
                except httpx.TransportError as exc:  # connect/read timeouts, refused, reset...
                    last_problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    log.warning("carrier API %s attempt %d failed: %s", url, attempt + 1, last_problem)
                    continue
                if response.status_code == 404:
                    return None
                if response.status_code >= 500:
                    last_problem = f"HTTP {response.status_code}"
                    log.warning("carrier API %s attempt %d failed: %s", url, attempt + 1, last_problem)
                    continue
                if response.status_code != 200:
                    raise TrackingError(f"carrier API answered HTTP {response.status_code} for {url}")
                return response
        raise TrackingError(f"carrier API unavailable after {self.retries + 1} attempts ({last_problem}) for {url}")

    def _parse(self, number: str, response: httpx.Response) -> TrackingInfo:
        try:
            payload = _Payload.model_validate_json(response.content)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            what = "malformed JSON" if errors[0]["type"] == "json_invalid" else f"an unexpected JSON shape {errors[:3]}"
            raise TrackingError(f"carrier API sent {what} for {number}") from exc
        events = sorted(
            (e.model_copy(update={"occurred_at": as_utc(e.occurred_at)}) for e in payload.events),
            key=lambda e: e.occurred_at,
        )
        delivered = payload.status == "delivered"
        return TrackingInfo(
            carrier=payload.carrier or self.carrier_name,
            tracking_number=payload.tracking_number or number,
            status=payload.status,
            status_text_es=status_label(payload.status),
            last_location=events[-1].location if events else None,
            events=events,
            estimated_delivery=_maybe_utc(None if delivered else payload.estimated_delivery),
            delivered_at=_maybe_utc(payload.delivered_at),
        )


# --- Factory --------------------------------------------------------------------------------------


def carrier_for(name: str, engine: AsyncEngine, settings: Settings | None = None) -> Carrier:
    """The tracking source for carrier `name` (andreani, oca, correo_argentino, mercado_envios).

    `LocalCarrier` by default; an `HttpCarrier` when `CARRIER_API_URL` is set.
    """
    settings = settings or get_settings()
    url = settings.carrier_api_url.strip()
    if not url:
        return LocalCarrier(engine)
    return HttpCarrier(
        url,
        api_key=settings.carrier_api_key or None,
        timeout_s=settings.carrier_timeout_s,
        retries=settings.carrier_retries,
        carrier_name=name,
    )
