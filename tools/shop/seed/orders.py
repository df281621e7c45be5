"""Seeded orders: their lines, discounts, shipments and tracking events, placed in time before `reference`."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tools.shop.money import percent_of
from tools.shop.pricing import TIER_DISCOUNT_PERCENT
from tools.shop.seed.catalog import first_product, subcategories
from tools.shop.seed.common import Row, in_hours, load_vocab, section_rng, whole_seconds
from tools.shop.seed.people import (
    FIXED_CUSTOMER_IDS,
    City,
    Person,
    load_cities,
    place_name,
    road_km,
)
from tools.shop.seed.promotions import Promo

SHIPMENT_TO_ORDER_STATUS = {
    "preparing": "paid", "dispatched": "shipped", "in_transit": "shipped", "out_for_delivery": "shipped",
    "failed_attempt": "shipped", "delivered": "delivered", "returned": "cancelled",
}
STATUS_PLAN = {
    "pending": 10, "preparing": 18, "dispatched": 14, "in_transit": 24, "out_for_delivery": 10,
    "failed_attempt": 8, "delivered": 104, "returned": 12,
}
"""How many of the 200 orders end in each shipment status ("pending": unpaid, no shipment)."""

LAST_EVENT_AGE_HOURS = {
    "preparing": (1, 20), "dispatched": (1, 16), "in_transit": (1, 30), "out_for_delivery": (1, 8),
    "failed_attempt": (2, 30), "delivered": (4, 24 * 110), "returned": (24, 24 * 90),
}
"""How long before `reference` an order's latest tracking event happened, per status."""


@dataclass(frozen=True)
class FixedOrder:
    number: str
    customer_id: str
    status: str  # shipment status, or "pending"
    picks: tuple[tuple[str, str], ...]  # (category_id, text the product name contains)


FIXED_ORDERS = (
    FixedOrder("4581230", "C0001", "in_transit", (("notebooks-gamer", "RTX 4060"), ("perifericos-mouse", "Gamer"))),
    FixedOrder("4581231", "C0002", "delivered",
               (("televisores-smart-tv", "Samsung"), ("audio-barras-de-sonido", "Samsung"))),
    FixedOrder("4581232", "C0003", "out_for_delivery", (("electro-heladeras", "No Frost"),)),
    FixedOrder("4581233", "C0001", "delivered", (("audio-auriculares", "JBL"),)),
    FixedOrder("4581234", "C0002", "pending", (("celulares-gama-media", "Samsung"),)),
)


@dataclass(frozen=True)
class Route:
    warehouse: Row
    origin: City
    destination: City
    distance_km: int
    carrier_id: str
    carrier_name: str

    @property
    def transit_hours(self) -> float:
        return 6 + self.distance_km / 35


@dataclass
class Draft:
    """An order being generated."""

    person: Person
    status: str  # shipment status, or "pending"
    lines: list[tuple[Row, int]]  # product, quantity
    number: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))  # see _schedule
    route: Route | None = None
    events: list[tuple[str, datetime, str, str]] = field(default_factory=list)  # status, when, where, text
    estimated_delivery: datetime | None = None
    promo: Promo | None = None
    discount: int = 0


def _route(person: Person, warehouses: list[Row], cities: dict[str, City], rng: random.Random) -> Route:
    nearest = min(warehouses, key=lambda w: road_km(cities[w["city"]], person.city))
    origin = cities[nearest["city"]]
    distance = rng.randint(5, 35) if origin == person.city else max(10, round(road_km(origin, person.city)))
    carriers = load_vocab("shop_vocab.json")["carriers"]
    carrier = rng.choices(carriers, [c["weight"] for c in carriers])[0]
    return Route(nearest, origin, person.city, distance, carrier["id"], carrier["name"])


def _event_path(status: str, route: Route, rng: random.Random) -> list[tuple[str, float, str, str]]:
    """Tracking events up to `status`, as (status, hours after payment, location, description)."""
    events: list[tuple[str, float, str, str]] = []
    hours = rng.uniform(1, 6)
    depot = route.warehouse["name"]
    origin_hub = f"Centro de distribución {route.carrier_name} {route.origin.name}"
    destination_hub = f"Centro de distribución {route.carrier_name} {route.destination.name}"
    door = place_name(route.destination)

    def add(event_status: str, location: str, description: str) -> bool:
        events.append((event_status, hours, location, description))
        return event_status == status

    if add("preparing", depot, f"Estamos preparando tu pedido en el {depot}."):
        return events
    hours += rng.uniform(10, 30)
    if add("dispatched", route.origin.name, f"Tu pedido fue despachado y entregado a {route.carrier_name}."):
        return events
    hours += rng.uniform(2, 8)
    add("in_transit", origin_hub, "En camino al centro de distribución.")
    if route.origin != route.destination and (status != "in_transit" or rng.random() < 0.5):
        hours += route.transit_hours
        add("in_transit", destination_hub, f"Llegó al centro de distribución de {route.destination.name}.")
    if status == "in_transit":
        return events
    hours += rng.uniform(8, 18)
    if add("out_for_delivery", door, "Salió a reparto. Lo recibís hoy."):
        return events
    hours += rng.uniform(1, 8)
    if status == "delivered":
        add("delivered", door, "Entregado. ¡Que lo disfrutes!")
        return events
    if add("failed_attempt", door, "Visita sin éxito: no había nadie para recibirlo. "
                                   "Haremos un nuevo intento el próximo día hábil."):
        return events
    hours += rng.uniform(14, 26)
    add("out_for_delivery", door, "Segundo intento de entrega: salió a reparto.")
    hours += rng.uniform(1, 8)
    add("failed_attempt", door, "Segunda visita sin éxito. El paquete vuelve al depósito de origen.")
    hours += rng.uniform(48, 96)
    add("in_transit", destination_hub, "En camino de regreso al depósito de origen.")
    hours += route.transit_hours + rng.uniform(4, 24)
    add("returned", depot, "El paquete fue devuelto al remitente. Cancelamos el pedido y reintegramos el pago.")
    return events


def _schedule(draft: Draft, reference: datetime, warehouses: list[Row], cities: dict[str, City],
              rng: random.Random) -> None:
    """Place the order in time: its latest event happened a status-dependent while before `reference`."""
    if draft.status == "pending":
        draft.created_at = whole_seconds(reference - in_hours(rng.uniform(1, 40)))
        return
    route = _route(draft.person, warehouses, cities, rng)
    path = _event_path(draft.status, route, rng)
    low, high = LAST_EVENT_AGE_HOURS[draft.status]
    paid_at = reference - in_hours(rng.uniform(low, high)) - in_hours(path[-1][1])
    draft.created_at = whole_seconds(paid_at - in_hours(rng.uniform(0.05, 3)))
    draft.route = route
    draft.events = [(status, whole_seconds(paid_at + in_hours(h)), where, what) for status, h, where, what in path]
    expected = paid_at + in_hours(30 + route.transit_hours + 24)
    draft.estimated_delivery = expected.replace(hour=23, minute=0, second=0, microsecond=0)


def _pick_lines(products: list[Row], rng: random.Random) -> list[tuple[Row, int]]:
    count = rng.choices([1, 2, 3, 4], [55, 28, 12, 5])[0]
    chosen: dict[int, Row] = {}
    while len(chosen) < count:
        product = products[rng.randrange(len(products))]
        if product["active"]:
            chosen[product["id"]] = product
    lines = []
    for product in chosen.values():
        cheap = product["price_cents"] < 50_000_00
        lines.append((product, rng.choice([1, 1, 1, 2, 2, 3]) if cheap else 1))
    return lines


def _plan_orders(products: list[Row], people: list[Person], rng: random.Random) -> list[Draft]:
    by_id = {p.id: p for p in people}
    drafts = [
        Draft(by_id[fixed.customer_id], fixed.status,
              [(first_product(products, category, contains), 1) for category, contains in fixed.picks], fixed.number)
        for fixed in FIXED_ORDERS
    ]
    statuses = [status for status, n in STATUS_PLAN.items() for _ in range(n)]
    for fixed in FIXED_ORDERS:
        statuses.remove(fixed.status)
    rng.shuffle(statuses)
    buyers = [p for p in people if p.id not in FIXED_CUSTOMER_IDS]
    weights = [1 if p.tier == "basic" else 2 for p in buyers]
    for status in statuses:
        drafts.append(Draft(rng.choices(buyers, weights)[0], status, _pick_lines(products, rng)))
    return drafts


def _apply_promotions(draft: Draft, promos: list[Promo], paths: dict[str, tuple[str, ...]], rng: random.Random) -> None:
    """Tier discount, then a coupon (sometimes) or else the best automatic promotion."""
    tier_percent = TIER_DISCOUNT_PERCENT.get(draft.person.tier, 0)
    priced = []
    for product, quantity in draft.lines:
        amount = product["price_cents"] * quantity
        priced.append((product, quantity, amount - percent_of(amount, tier_percent)))
    subtotal = sum(p["price_cents"] * q for p, q in draft.lines)
    tier_cents = subtotal - sum(amount for _, _, amount in priced)
    valid = [p for p in promos if p.valid_at(draft.created_at, draft.person.tier) and p.discount(priced, paths) > 0]
    coupons = [p for p in valid if p.can_redeem(draft.person.id)]
    chosen: Promo | None = None
    if coupons and rng.random() < 0.25:
        chosen = rng.choice(coupons)
        chosen.redemptions[draft.person.id] = draft.created_at
    else:
        automatic = [p for p in valid if not p.is_coupon]
        chosen = max(automatic, key=lambda p: (p.discount(priced, paths), -p.row["id"]), default=None)
    draft.promo = chosen
    draft.discount = min(subtotal, tier_cents + (chosen.discount(priced, paths) if chosen else 0))


def _assign_numbers(drafts: list[Draft], rng: random.Random) -> None:
    """Rising 7-digit numbers in creation order, ending just below the fixed ones (4581230...)."""
    unnumbered = [d for d in drafts if d.number is None]
    gaps = [rng.randint(20, 100) for _ in unnumbered]
    number = min(int(f.number) for f in FIXED_ORDERS) - 200 - sum(gaps)
    for draft, gap in zip(unnumbered, gaps):
        number += gap
        draft.number = str(number)


def _tracking_number(carrier_id: str, rng: random.Random) -> str:
    if carrier_id == "andreani":
        return f"36000{rng.randrange(10**10):010d}"
    if carrier_id == "oca":
        return f"3867500{rng.randrange(10**12):012d}"
    if carrier_id == "correo_argentino":  # UPU S10 with its check digit
        serial = f"{rng.randrange(10**8):08d}"
        check = 11 - sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7))) % 11
        return f"CP{serial}{0 if check == 10 else 5 if check == 11 else check}AR"
    return f"4{rng.randrange(10**10):010d}"  # mercado_envios shipment id


@dataclass
class OrderTables:
    orders: list[Row]
    order_lines: list[Row]
    shipments: list[Row]
    shipment_events: list[Row]


def _order_tables(drafts: list[Draft], rng: random.Random) -> OrderTables:
    tables = OrderTables([], [], [], [])
    tracking: set[str] = set()
    for order_id, draft in enumerate(drafts, start=1):
        subtotal = sum(p["price_cents"] * q for p, q in draft.lines)
        tables.orders.append({
            "id": order_id, "number": draft.number, "customer_id": draft.person.id,
            "status": "pending" if draft.status == "pending" else SHIPMENT_TO_ORDER_STATUS[draft.status],
            "created_at": draft.created_at, "subtotal_cents": subtotal, "discount_cents": draft.discount,
            "total_cents": subtotal - draft.discount, "shipping_address": draft.person.address,
            "promotion_id": draft.promo.row["id"] if draft.promo else None,
        })
        tables.order_lines += [
            {"order_id": order_id, "line_no": n, "product_id": product["id"], "quantity": quantity,
             "unit_price_cents": product["price_cents"]}  # the list price when the order was placed
            for n, (product, quantity) in enumerate(draft.lines, start=1)
        ]
        if draft.route is None:
            continue
        shipment_id = len(tables.shipments) + 1
        number = _tracking_number(draft.route.carrier_id, rng)
        while number in tracking:
            number = _tracking_number(draft.route.carrier_id, rng)
        tracking.add(number)
        moments = {status: when for status, when, _, _ in draft.events}
        tables.shipments.append({
            "id": shipment_id, "order_id": order_id, "carrier": draft.route.carrier_id, "tracking_number": number,
            "status": draft.status, "origin_city": draft.route.origin.name,
            "destination_city": draft.route.destination.name, "distance_km": draft.route.distance_km,
            "shipped_at": moments.get("dispatched"), "estimated_delivery": draft.estimated_delivery,
            "delivered_at": moments.get("delivered"),
        })
        first_event = len(tables.shipment_events) + 1
        tables.shipment_events += [
            {"id": first_event + i, "shipment_id": shipment_id, "status": status, "location": where,
             "description": what, "occurred_at": when}
            for i, (status, when, where, what) in enumerate(draft.events)
        ]
    return tables


def build_orders(products: list[Row], people: list[Person], promos: list[Promo], warehouses: list[Row],
                 reference: datetime, rng_seed: int) -> OrderTables:
    """200 orders with lines, shipments and tracking events; records coupon uses on `promos`."""
    rng = section_rng(rng_seed, "orders")
    cities = load_cities()
    drafts = _plan_orders(products, people, rng)
    for draft in drafts:
        _schedule(draft, reference, warehouses, cities, rng)
    drafts.sort(key=lambda d: (d.created_at, d.number or ""))
    paths = {sub.id: sub.path for sub, _ in subcategories(load_vocab("catalog_vocab.json"))}
    for draft in drafts:
        _apply_promotions(draft, promos, paths, rng)
    _assign_numbers(drafts, rng)
    return _order_tables(drafts, rng)
