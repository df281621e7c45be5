"""Tracking: ETA estimates, the database carrier (both engines) and the HTTP carrier against a local server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.settings import Settings, get_settings
from tools.shop.carriers import (
    ARGENTINA,
    STATUS_LABELS_ES,
    HttpCarrier,
    LocalCarrier,
    TrackingError,
    carrier_for,
    estimate_delivery,
)
from tools.shop.schema import (
    SHIPMENT_STATUSES,
    categories,
    customers,
    orders,
    shipment_events,
    shipments,
)

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # Friday 12:00 in Buenos Aires
DAY = timedelta(days=1)


def art(*args: int) -> datetime:
    return datetime(*args, tzinfo=ARGENTINA)


# --- estimate_delivery -------------------------------------------------------------------------


def test_every_shipment_status_has_a_spanish_label() -> None:
    assert set(STATUS_LABELS_ES) == set(SHIPMENT_STATUSES)


@pytest.mark.parametrize("status", ["delivered", "returned"])
def test_no_estimate_for_finished_shipments(status: str) -> None:
    assert estimate_delivery("andreani", 700, NOW, status) is None


def test_preparing_counts_handling_and_transit_days_skipping_sunday() -> None:
    # andreani: 1 handling day + ceil(1000 / 600) = 2 transit days = 3 working days from Friday:
    # Saturday, (Sunday skipped) Monday, Tuesday.
    assert estimate_delivery("andreani", 1000, NOW, "preparing") == art(2026, 11, 24, 20, 0)


def test_in_transit_counts_only_the_transit_days() -> None:
    # correo_argentino: ceil(700 / 350) = 2 days from Friday -> Saturday, Monday.
    assert estimate_delivery("correo_argentino", 700, NOW, "in_transit") == art(2026, 11, 23, 20, 0)
    # A short trip still takes a day.
    assert estimate_delivery("mercado_envios", 10, NOW, "dispatched") == art(2026, 11, 21, 20, 0)


def test_slower_carriers_take_longer() -> None:
    fast = estimate_delivery("mercado_envios", 1500, NOW, "preparing")
    slow = estimate_delivery("correo_argentino", 1500, NOW, "preparing")
    unknown = estimate_delivery("carrier-we-never-heard-of", 1500, NOW, "preparing")
    assert fast is not None and slow is not None and unknown is not None
    assert fast < unknown < slow


def test_out_for_delivery_is_today_or_next_working_day_when_too_late() -> None:
    assert estimate_delivery("oca", 500, NOW, "out_for_delivery") == art(2026, 11, 20, 20, 0)
    saturday_night = art(2026, 11, 21, 21, 30)
    assert estimate_delivery("oca", 500, saturday_night, "out_for_delivery") == art(2026, 11, 23, 20, 0)


def test_failed_attempt_retries_next_working_day_and_days_follow_argentine_calendar() -> None:
    # 01:00 UTC on Sunday is still Saturday 22:00 in Argentina: next working day is Monday.
    since = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    assert estimate_delivery("andreani", 300, since, "failed_attempt") == art(2026, 11, 23, 20, 0)
    # A naive value is UTC.
    assert estimate_delivery("andreani", 300, since.replace(tzinfo=None), "failed_attempt") == art(2026, 11, 23, 20, 0)


# --- LocalCarrier ------------------------------------------------------------------------------


async def _order(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(categories.insert().values(id="audio", name="Audio", description=""))
        await conn.execute(customers.insert().values(
            id="C0001", user_id="u-1", name="Ana", email="ana@example.com", preferences="{}", created_at=NOW - 10 * DAY))
        await conn.execute(orders.insert(), [
            {"id": i, "number": f"458123{i}", "customer_id": "C0001", "status": "shipped", "created_at": NOW - 5 * DAY,
             "subtotal_cents": 80_000_00, "discount_cents": 0, "total_cents": 80_000_00,
             "shipping_address": "Av. Corrientes 1234, CABA"}
            for i in range(1, 5)
        ])


async def _shipment(engine: AsyncEngine, order_id: int, tracking: str, status: str, *, carrier: str = "andreani",
                    distance_km: int = 700, estimated: datetime | None = None, delivered: datetime | None = None,
                    events: list[tuple[str, str, datetime]] = ()) -> None:  # type: ignore[assignment]
    async with engine.begin() as conn:
        result = await conn.execute(shipments.insert().values(
            order_id=order_id, carrier=carrier, tracking_number=tracking, status=status, origin_city="CABA",
            destination_city="Córdoba", distance_km=distance_km, shipped_at=NOW - 3 * DAY,
            estimated_delivery=estimated, delivered_at=delivered))
        shipment_id = result.inserted_primary_key[0]
        # Inserted newest first on purpose: the carrier must sort them.
        for ev_status, location, at in reversed(events):
            await conn.execute(shipment_events.insert().values(
                shipment_id=shipment_id, status=ev_status, location=location,
                description=f"Evento {ev_status} en {location}", occurred_at=at))


TRIP = [("preparing", "Depósito CABA", NOW - 3 * DAY), ("dispatched", "CABA", NOW - 2 * DAY),
        ("in_transit", "Rosario", NOW - DAY)]


async def test_local_carrier_returns_the_stored_future_eta_and_events_in_order(engine: AsyncEngine) -> None:
    await _order(engine)
    await _shipment(engine, 1, "AND000001", "in_transit", estimated=NOW + 2 * DAY, events=TRIP)
    info = await LocalCarrier(engine, clock=lambda: NOW).track(" AND000001 ")
    assert info is not None
    assert (info.carrier, info.tracking_number, info.status) == ("andreani", "AND000001", "in_transit")
    assert info.status_text_es == "En camino"
    assert [e.status for e in info.events] == ["preparing", "dispatched", "in_transit"]
    assert info.last_location == "Rosario"
    assert info.estimated_delivery == NOW + 2 * DAY and not info.eta_estimated and not info.delayed
    assert all(e.occurred_at.tzinfo is not None for e in info.events)
    assert info.delivered_at is None


async def test_unknown_tracking_number_is_none(engine: AsyncEngine) -> None:
    await _order(engine)
    await _shipment(engine, 1, "AND000001", "in_transit", events=TRIP)
    carrier = LocalCarrier(engine, clock=lambda: NOW)
    assert await carrier.track("NOPE") is None
    assert await carrier.track("   ") is None


async def test_missing_eta_is_estimated_from_the_last_event(engine: AsyncEngine) -> None:
    await _order(engine)
    await _shipment(engine, 1, "AND000001", "in_transit", distance_km=700, events=TRIP)
    info = await LocalCarrier(engine, clock=lambda: NOW).track("AND000001")
    assert info is not None and info.eta_estimated and not info.delayed
    # Last event Thursday 12:00 ART; ceil(700 / 600) = 2 working days -> Saturday 20:00.
    assert info.estimated_delivery == estimate_delivery("andreani", 700, NOW - DAY, "in_transit") == art(2026, 11, 21, 20, 0)


async def test_past_eta_is_reestimated_and_flagged_delayed(engine: AsyncEngine) -> None:
    await _order(engine)
    await _shipment(engine, 1, "OCA000001", "in_transit", carrier="oca", distance_km=400,
                    estimated=NOW - 2 * DAY, events=TRIP)
    # A stalled one: its last event is so old that even the re-estimate is past -> counted from now.
    stalled = [("dispatched", "CABA", NOW - 20 * DAY)]
    await _shipment(engine, 2, "OCA000002", "dispatched", carrier="oca", distance_km=400,
                    estimated=NOW - 15 * DAY, events=stalled)
    carrier = LocalCarrier(engine, clock=lambda: NOW)
    info = await carrier.track("OCA000001")
    assert info is not None and info.delayed and info.eta_estimated
    assert info.estimated_delivery == art(2026, 11, 20, 20, 0)  # Thursday + 1 day
    stuck = await carrier.track("OCA000002")
    assert stuck is not None and stuck.delayed
    assert stuck.estimated_delivery == estimate_delivery("oca", 400, NOW, "dispatched") == art(2026, 11, 21, 20, 0)


async def test_delivered_and_unshipped(engine: AsyncEngine) -> None:
    await _order(engine)
    await _shipment(engine, 1, "ME0001", "delivered", carrier="mercado_envios", estimated=NOW - 2 * DAY,
                    delivered=NOW - DAY / 2, events=TRIP + [("delivered", "Córdoba", NOW - DAY / 2)])
    await _shipment(engine, 2, "CA0001", "preparing", carrier="correo_argentino", distance_km=1000)
    carrier = LocalCarrier(engine, clock=lambda: NOW)
    done = await carrier.track("ME0001")
    assert done is not None and done.status_text_es == "Entregado"
    assert done.delivered_at == NOW - DAY / 2 and done.estimated_delivery is None and not done.delayed
    assert done.last_location == "Córdoba"
    fresh = await carrier.track("CA0001")
    assert fresh is not None and fresh.events == [] and fresh.last_location is None
    # No events: counted from shipped_at (Tuesday 12:00 ART): 2 + ceil(1000/350)=3 -> 5 working days.
    assert fresh.estimated_delivery == art(2026, 11, 23, 20, 0)


# --- HttpCarrier against a local server --------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict | None = None  # type: ignore[type-arg]
    delay_s: float = 0.0


@dataclass
class FakeCarrierApi:
    """A scripted HTTP server: per path, a list of replies served in turn (the last one repeats)."""

    url: str = ""
    routes: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Authorization)
    release: threading.Event = field(default_factory=threading.Event)

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


@pytest.fixture
def carrier_api() -> Iterator[FakeCarrierApi]:
    api = FakeCarrierApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api.requests.append((self.path, self.headers.get("Authorization")))
            replies = api.routes.get(self.path) or [Reply(404, {"error": "not found"})]
            reply = replies[min(api.hits(self.path) - 1, len(replies) - 1)]
            if reply.delay_s:
                api.release.wait(reply.delay_s)
            body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body or {}).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (timeout)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/"
    try:
        yield api
    finally:
        api.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


PAYLOAD = {
    "carrier": "andreani",
    "tracking_number": "AND/77 1",
    "status": "out_for_delivery",
    "estimated_delivery": "2026-11-20T20:00:00-03:00",
    "delivered_at": None,
    "events": [
        {"status": "in_transit", "location": "Rosario", "description": "En viaje a destino",
         "occurred_at": "2026-11-19T09:00:00-03:00"},
        {"status": "out_for_delivery", "location": "Córdoba", "description": "Salió a reparto",
         "occurred_at": "2026-11-20T08:00:00-03:00"},
        {"status": "dispatched", "location": "CABA", "description": "Despachado",
         "occurred_at": "2026-11-18T18:00:00-03:00"},
    ],
}
PATH = "/api/v1/tracking/AND%2F77%201"  # the number is URL-encoded into one path segment


async def test_http_carrier_maps_the_payload(carrier_api: FakeCarrierApi) -> None:
    carrier_api.routes[PATH] = [Reply(200, PAYLOAD)]
    info = await HttpCarrier(carrier_api.url, api_key="secreto", timeout_s=2).track("AND/77 1")
    assert info is not None
    assert (info.carrier, info.tracking_number, info.status) == ("andreani", "AND/77 1", "out_for_delivery")
    assert info.status_text_es == "En reparto: llega hoy"
    assert [e.status for e in info.events] == ["dispatched", "in_transit", "out_for_delivery"]
    assert info.last_location == "Córdoba"
    assert info.estimated_delivery == art(2026, 11, 20, 20, 0)
    assert carrier_api.requests == [(PATH, "Bearer secreto")]


async def test_http_404_is_none_without_retrying(carrier_api: FakeCarrierApi) -> None:
    assert await HttpCarrier(carrier_api.url, retries=2, backoff_s=0.01).track("NOPE") is None
    assert carrier_api.hits("/api/v1/tracking/NOPE") == 1


async def test_http_other_4xx_is_an_error_without_retrying(carrier_api: FakeCarrierApi) -> None:
    carrier_api.routes["/api/v1/tracking/X1"] = [Reply(401, {"error": "bad key"})]
    with pytest.raises(TrackingError, match="HTTP 401"):
        await HttpCarrier(carrier_api.url, retries=2, backoff_s=0.01).track("X1")
    assert carrier_api.hits("/api/v1/tracking/X1") == 1


async def test_http_500_then_success_is_retried(carrier_api: FakeCarrierApi) -> None:
    carrier_api.routes["/api/v1/tracking/X2"] = [Reply(500, {"error": "boom"}), Reply(503), Reply(200, {"status": "in_transit"})]
    info = await HttpCarrier(carrier_api.url, retries=2, backoff_s=0.01, carrier_name="oca").track("X2")
    assert info is not None and info.status == "in_transit" and info.carrier == "oca" and info.tracking_number == "X2"
    assert info.events == [] and info.estimated_delivery is None
    assert carrier_api.hits("/api/v1/tracking/X2") == 3


async def test_http_5xx_every_time_gives_up(carrier_api: FakeCarrierApi) -> None:
    carrier_api.routes["/api/v1/tracking/X3"] = [Reply(502)]
    with pytest.raises(TrackingError, match="after 2 attempts.*HTTP 502"):
        await HttpCarrier(carrier_api.url, retries=1, backoff_s=0.01).track("X3")
    assert carrier_api.hits("/api/v1/tracking/X3") == 2


async def test_http_hang_times_out_after_retries_in_bounded_time(carrier_api: FakeCarrierApi) -> None:
    carrier_api.routes["/api/v1/tracking/X4"] = [Reply(200, PAYLOAD, delay_s=10)]
    started = time.monotonic()
    with pytest.raises(TrackingError, match="after 2 attempts.*Timeout"):
        await HttpCarrier(carrier_api.url, timeout_s=0.3, retries=1, backoff_s=0.05).track("X4")
    elapsed = time.monotonic() - started
    assert 0.6 <= elapsed < 2.0
    assert carrier_api.hits("/api/v1/tracking/X4") == 2


async def test_http_connection_refused_is_a_tracking_error() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TrackingError, match="ConnectError"):
        await HttpCarrier(f"http://127.0.0.1:{port}", retries=1, backoff_s=0.01).track("X5")


@pytest.mark.parametrize(("body", "message"), [
    (b"{not json", "malformed JSON"),
    (b'{"events": []}', "unexpected JSON shape.*status"),
    (b'{"status": "in_transit", "events": [{"status": "x"}]}', "unexpected JSON shape"),
    (b"[]", "unexpected JSON shape"),
])
async def test_http_malformed_body_is_a_clear_error(carrier_api: FakeCarrierApi, body: bytes, message: str) -> None:
    carrier_api.routes["/api/v1/tracking/X6"] = [Reply(200, body)]
    with pytest.raises(TrackingError, match=message):
        await HttpCarrier(carrier_api.url, retries=0).track("X6")


# --- factory -----------------------------------------------------------------------------------


async def test_carrier_for_is_local_by_default_and_http_with_an_api_url(engine: AsyncEngine) -> None:
    assert isinstance(carrier_for("andreani", engine, Settings(carrier_api_url="")), LocalCarrier)
    remote = carrier_for("oca", engine, Settings(carrier_api_url="http://carrier.invalid/api/", carrier_api_key="k",
                                                 carrier_timeout_s=3, carrier_retries=1))
    assert isinstance(remote, HttpCarrier)
    assert (remote.base_url, remote.api_key, remote.timeout_s, remote.retries, remote.carrier_name) == (
        "http://carrier.invalid/api", "k", 3.0, 1, "oca")


def test_carrier_for_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARRIER_API_URL", "http://127.0.0.1:9/")
    get_settings.cache_clear()
    assert isinstance(carrier_for("andreani", engine=None), HttpCarrier)  # type: ignore[arg-type]
    monkeypatch.delenv("CARRIER_API_URL")
    get_settings.cache_clear()
    assert isinstance(carrier_for("andreani", engine=None), LocalCarrier)  # type: ignore[arg-type]
