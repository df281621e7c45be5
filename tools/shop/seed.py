"""Deterministic seed data for the shop (an Argentine electronics and home-appliance store).

`seed(engine)` fills an empty, migrated database with a catalog, stock, customers,
promotions, orders with shipments and tracking events, knowledge-base articles and a
few support tickets. The same `products`, `reference` and `rng_seed` always give
exactly the same rows, on SQLite and on PostgreSQL: every random choice comes from
`random.Random` instances seeded from `rng_seed`, and every timestamp is derived from
`reference` (default: today at 00:00 UTC, so "active" promotions are active today).
Seeding is first-use only: if the database already has products, nothing is written.
Invoices and outbox rows are never seeded (the application creates them).
`build_dataset` returns plaintext rows; `seed` stores the contact columns encrypted
(`schema.ENCRYPTED_COLUMNS`, random IVs: the stored tokens differ on every run) with
`customers.phone_hash` filled in.

Static vocabulary (catalog families, names, cities, promotions, FAQ) lives in
`data/ecommerce/*.json`; this module only combines it.

Fixed facts that tests and demos may rely on
--------------------------------------------
Customers (`customers.id`, tier, role, `user_id` = WhatsApp wa_id of the chat session):

    C0001  basic    customer          "5491160000001"  Lucía Fernández, La Plata, no CUIT (factura B)
    C0002  premium  premium_customer  "5491160000002"  Martín Gómez, Córdoba, no CUIT
    C0003  vip      premium_customer  "5491160000003"  Valeria Rodríguez, Rosario, CUIT 27-28456789-2 (factura A)
    S0001  basic    support_staff     "staff-0001"     Ignacio Villalba (staff account)
    S0002  basic    support_staff     "staff-0002"     Carla Benítez (staff account)

C0004–C0050 are generated (50 customers in all: 30 basic, 14 premium, 6 vip; customer
N has user_id "54911600" + N as five digits and phone "+54 9 11 6000-NNNN"). Premium
and vip customers have role premium_customer. C0001–C0003 have redeemed no coupon,
so every currently valid coupon can still be redeemed by them (tier permitting).

Orders (7-digit numbers; 200 in all; C0001–C0003 have only these):

    4581230  C0001  in_transit        (order shipped)    gaming notebook "RTX 4060" + gamer mouse
    4581231  C0002  delivered         (order delivered)  Smart TV + sound bar
    4581232  C0003  out_for_delivery  (order shipped)    No Frost refrigerator
    4581233  C0001  delivered         (order delivered)  JBL headphones
    4581234  C0002  pending           (no shipment)      mid-range phone

Coupons (promotions with a code; windows relative to `reference`):

    BIENVENIDA10  10 %, valid ±1 year, unlimited
    HOTSALE15     15 %, active, usage_limit 500
    FLASH10       10 %, active, usage_limit 10 (7 used)
    PRIMEROS5     $20.000 off, active, usage_limit 5, exhausted
    AUDIO20       20 % on the audio category, active
    PREMIUM12     12 %, min_tier premium, active
    VIP25000      $25.000 off, min_tier vip, active
    CYBERMONDAY   20 %, expired        BLACKFRIDAY  25 %, expired

Warehouses: CABA, COR (Córdoba), ROS (Rosario). Products 1..N have SKUs like
"NB-ASU-00001" (category prefix, brand, sequence); product 1 is an ASUS TUF F15
gaming notebook with an RTX 4060.

CLI: ``python -m tools.shop.seed [--database-url URL] [--products N] [--reset]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import random
import re
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tools.crypto import get_cipher
from tools.settings import DATA_ROOT, get_settings
from tools.shop import schema
from tools.shop.db import create_engine, is_sqlite, migrate
from tools.shop.money import percent_of
from tools.shop.pricing import TIER_DISCOUNT_PERCENT, discount_cents, in_scope, lowers_price, tier_allows
from tools.shop.records import Promotion

Row = dict[str, Any]

VOCAB_DIR = DATA_ROOT / "ecommerce"
CHUNK_ROWS = 1000
SEED_LOCK_ID = 7_310_002  # pg_advisory_xact_lock key, next to db.MIGRATION_LOCK_ID
MIN_PRODUCTS = 50  # enough for every subcategory to have products
ORDER_COUNT = 200
TIER_COUNTS = {"basic": 30, "premium": 14, "vip": 6}

SEEDED_TABLES: tuple[Table, ...] = (
    schema.categories, schema.products, schema.warehouses, schema.stock, schema.customers,
    schema.promotions, schema.coupon_redemptions, schema.orders, schema.order_lines,
    schema.shipments, schema.shipment_events, schema.kb_articles, schema.support_tickets,
)
"""Every table `seed` writes, in foreign-key order."""

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
class FixedCustomer:
    id: str
    user_id: str
    name: str
    tier: str
    city: str
    street: str
    cuit: str | None = None

    @property
    def role(self) -> str:
        return "customer" if self.tier == "basic" else "premium_customer"


FIXED_CUSTOMERS = (
    FixedCustomer("C0001", "5491160000001", "Lucía Fernández", "basic", "La Plata", "Calle 7 1234"),
    FixedCustomer("C0002", "5491160000002", "Martín Gómez", "premium", "Córdoba", "Av. Colón 2450, Piso 3 B"),
    FixedCustomer("C0003", "5491160000003", "Valeria Rodríguez", "vip", "Rosario", "Bv. Oroño 950", "27-28456789-2"),
)
FIXED_CUSTOMER_IDS = frozenset(c.id for c in FIXED_CUSTOMERS)
STAFF = (("S0001", "staff-0001", "Ignacio Villalba"), ("S0002", "staff-0002", "Carla Benítez"))


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


class SeedSummary(BaseModel):
    """Row counts per seeded table; `seeded` is False when the database already had data."""

    seeded: bool
    categories: int
    products: int
    warehouses: int
    stock: int
    customers: int
    promotions: int
    coupon_redemptions: int
    orders: int
    order_lines: int
    shipments: int
    shipment_events: int
    kb_articles: int
    support_tickets: int

    def counts(self) -> dict[str, int]:
        return self.model_dump(exclude={"seeded"})


# --------------------------------------------------------------------------- vocabulary


@cache
def _vocab(name: str) -> Any:
    """A JSON file from data/ecommerce (read once, never written)."""
    return json.loads((VOCAB_DIR / name).read_text(encoding="utf-8"))


def _ascii_slug(value: str) -> str:
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _hours(value: float) -> timedelta:
    return timedelta(hours=value)


def _chunks(rows: list[Row], size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _rng(rng_seed: int, section: str) -> random.Random:
    """An independent, reproducible stream per section (one section never shifts another)."""
    return random.Random(f"{rng_seed}:{section}")


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class Subcategory:
    id: str
    sku_prefix: str
    iva_rate: str
    warranty_months: int
    name_template: str
    description_template: str
    price_range: tuple[int, int]  # pesos
    variants: dict[str, list[tuple[Any, float]]]
    path: tuple[str, ...]  # this category and its ancestors


@dataclass(frozen=True)
class ProductSpec:
    sub: Subcategory
    brand: str
    model: str
    attrs: dict[str, Any]
    price: int  # pesos


def _category_rows(catalog: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for top in catalog["categories"]:
        rows.append({"id": top["id"], "name": top["name"], "parent_id": None, "description": top["description"]})
        rows += [{"id": sub["id"], "name": sub["name"], "parent_id": top["id"], "description": sub["description"]}
                 for sub in top["children"]]
    return rows


def _subcategories(catalog: dict[str, Any]) -> list[tuple[Subcategory, list[dict[str, Any]]]]:
    """Each subcategory with its model families, in file order."""
    found = []
    for top in catalog["categories"]:
        for sub in top["children"]:
            spec = Subcategory(
                id=sub["id"], sku_prefix=top["sku_prefix"], iva_rate=sub.get("iva_rate", top["iva_rate"]),
                warranty_months=sub.get("warranty_months", top["warranty_months"]),
                name_template=sub["name_template"], description_template=sub["description_template"],
                price_range=tuple(sub["price_range"]),  # type: ignore[arg-type]
                variants={axis: [tuple(option) for option in options] for axis, options in sub["variants"].items()},
                path=(sub["id"], top["id"]),
            )
            found.append((spec, sub["families"]))
    return found


def base_specs() -> list[ProductSpec]:
    """The handcrafted catalog, interleaved across subcategories so any prefix covers them all."""
    per_sub = [
        [ProductSpec(sub, fam["brand"], fam["model"], fam["attrs"] | overrides, price)
         for fam in families for overrides, price in fam["configs"]]
        for sub, families in _subcategories(_vocab("catalog_vocab.json"))
    ]
    interleaved = []
    for rank in range(max(len(specs) for specs in per_sub)):
        interleaved += [specs[rank] for specs in per_sub if rank < len(specs)]
    return interleaved


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    return str(value)


def _storage_label(gb: int) -> str:
    if gb >= 1000 and gb % 1024 == 0:
        return f"{gb // 1024}TB"
    if gb >= 1000 and gb % 1000 == 0:
        return f"{gb // 1000}TB"
    return f"{gb}GB"


_CPU_SHORT = re.compile(r"Core Ultra [3579]|i[3579]|Ryzen [3579]|Celeron|M[1-4]")


def _template_fields(spec: ProductSpec) -> dict[str, str]:
    fields = {key: _format_value(value) for key, value in spec.attrs.items()}
    fields |= {"brand": spec.brand, "model": spec.model}
    if "storage_gb" in spec.attrs:
        fields["storage"] = _storage_label(spec.attrs["storage_gb"])
    if "cpu" in spec.attrs:
        match = _CPU_SHORT.search(spec.attrs["cpu"])
        fields["cpu_short"] = match.group(0) if match else spec.attrs["cpu"]
    return fields


def _nice_price(pesos: float, price_range: tuple[int, int]) -> int:
    """Round to a shop-like price ending in 999 (or 99/9 for cheap items) inside the range."""
    step = 1000 if pesos >= 100_000 else 100 if pesos >= 10_000 else 10
    nice = round(pesos / step) * step - 1
    low, high = price_range
    return max(low, min(high, nice))


def _variant(spec: ProductSpec, combo: dict[str, tuple[Any, float]]) -> ProductSpec:
    """Another configuration of the same model (RAM/storage/color/size...), its price scaled."""
    attrs = dict(spec.attrs)
    model = spec.model
    factor = 1.0
    for axis, (value, option_factor) in combo.items():
        current = next((f for v, f in spec.sub.variants[axis] if v == attrs.get(axis)), 1.0)
        factor *= option_factor / current
        if axis == "screen_in" and f"{attrs[axis]:g}" in model:  # "OLED55B3" at 65" is "OLED65B3"
            model = model.replace(f"{attrs[axis]:g}", f"{value:g}", 1)
        attrs[axis] = value
    return ProductSpec(spec.sub, spec.brand, model, attrs, _nice_price(spec.price * factor, spec.sub.price_range))


def _variant_combos(spec: ProductSpec, rng: random.Random) -> list[dict[str, tuple[Any, float]]]:
    """Every combination of the subcategory's variant axes, in a reproducible shuffled order."""
    axes = spec.sub.variants
    combos = [dict(zip(axes, options)) for options in itertools.product(*axes.values())]
    combos = [c for c in combos if any(spec.attrs.get(axis) != value for axis, (value, _) in c.items())] or combos
    rng.shuffle(combos)
    return combos


@cache
def _brand_code(brand: str) -> str:
    return _ascii_slug(brand).upper()[:3].ljust(3, "X")


def _sku(spec: ProductSpec, seq: int) -> str:
    return f"{spec.sub.sku_prefix}-{_brand_code(spec.brand)}-{seq:05d}"


def _product_row(spec: ProductSpec, fields: dict[str, str], product_id: int, name: str, sku: str, active: bool,
                 updated_at: datetime) -> Row:
    attributes = spec.attrs | {"warranty_months": spec.sub.warranty_months}
    return {
        "id": product_id, "sku": sku, "name": name, "brand": spec.brand, "category_id": spec.sub.id,
        "description": spec.sub.description_template.format_map(fields),
        "attributes": json.dumps(attributes, ensure_ascii=False), "price_cents": spec.price * 100,
        "iva_rate": spec.sub.iva_rate, "active": active, "updated_at": updated_at,
    }


def build_products(count: int, reference: datetime, rng_seed: int) -> list[Row]:
    """`count` product rows (ids 1..count): the handcrafted base first, then variants of it.

    Variant round r of a base model takes its r-th axis combination; once a model's
    combinations run out (or repeat a name) the SKU is appended to keep names unique.
    """
    rng = _rng(rng_seed, "products")
    base = base_specs()
    combos: dict[int, list[dict[str, tuple[Any, float]]]] = {}
    names: set[str] = set()
    rows: list[Row] = []
    for index in range(count):
        product_id = index + 1
        base_index, round_no = index % len(base), index // len(base)
        spec = base[base_index]
        if round_no:
            if base_index not in combos:
                combos[base_index] = _variant_combos(spec, rng)
            options = combos[base_index]
            spec = _variant(spec, options[(round_no - 1) % len(options)])
        sku = _sku(spec, product_id)
        fields = _template_fields(spec)
        name = spec.sub.name_template.format_map(fields)
        if name in names:
            name = f"{name} ({sku})"
        names.add(name)
        active = rng.random() >= (0.03 if round_no else 0.015)
        updated_at = _seconds(reference - timedelta(seconds=rng.randrange(45 * 86400)))
        rows.append(_product_row(spec, fields, product_id, name, sku, active, updated_at))
    return rows


def build_stock(products: list[Row], warehouses: list[Row], rng_seed: int) -> list[Row]:
    """One stock row per product and warehouse: mostly positive, some zero, none for inactive items."""
    rng = _rng(rng_seed, "stock")
    rows = []
    for product in products:
        pesos = product["price_cents"] // 100
        for warehouse in warehouses:
            if not product["active"] or rng.random() < 0.14:
                quantity = 0
            elif pesos >= 1_000_000:
                quantity = rng.randint(1, 8)
            elif pesos >= 100_000:
                quantity = rng.randint(1, 40)
            else:
                quantity = rng.randint(5, 150)
            rows.append({"product_id": product["id"], "warehouse_id": warehouse["id"], "quantity": quantity})
    return rows


# --------------------------------------------------------------------------- places and people


@dataclass(frozen=True)
class City:
    name: str
    province: str
    zip: str
    lat: float
    lon: float
    weight: int


def _cities() -> dict[str, City]:
    return {c["name"]: City(**c) for c in _vocab("shop_vocab.json")["cities"]}


def _distance_km(a: City, b: City) -> float:
    """Great-circle distance times 1.25 for roads."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h)) * 1.25


@dataclass(frozen=True)
class Person:
    id: str
    tier: str
    city: City
    address: str


def _cuit(prefix: int, dni: int) -> str | None:
    """A CUIT with a valid check digit, or None when this DNI would need the 23/24 prefix."""
    digits = f"{prefix:02d}{dni:08d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))) % 11
    if check == 10:
        return None
    return f"{prefix:02d}-{dni:08d}-{0 if check == 11 else check}"


def _place(city: City) -> str:
    """"Córdoba, Córdoba" reads oddly for the capital: "CABA", "La Plata, Buenos Aires"."""
    return city.name if city.province == city.name else f"{city.name}, {city.province}"


def _address(street: str, city: City) -> str:
    return f"{street}, {_place(city)} ({city.zip})"


def _new_name(female: bool, taken: set[str], rng: random.Random) -> str:
    """An Argentine full name nobody in `taken` has (customers and staff never share one)."""
    vocab = _vocab("shop_vocab.json")
    while True:
        first = rng.choice(vocab["first_names_female" if female else "first_names_male"])
        name = f"{first} {rng.choice(vocab['last_names'])}"
        if name not in taken:
            taken.add(name)
            return name


def _email(first: str, last: str, rng: random.Random, taken: set[str]) -> str:
    vocab = _vocab("shop_vocab.json")
    domains, weights = zip(*vocab["email_domains"])
    first_s, last_s = _ascii_slug(first.split()[0]), _ascii_slug(last)
    local = rng.choice([f"{first_s}.{last_s}", f"{first_s}{last_s}", f"{first_s[0]}{last_s}"])
    domain = rng.choices(domains, weights)[0]
    email = f"{local}@{domain}"
    while email in taken:
        email = f"{local}{rng.randint(1, 99)}@{domain}"
    taken.add(email)
    return email


def _preferences(rng: random.Random, address: str) -> str:
    tops = [c["id"] for c in _vocab("catalog_vocab.json")["categories"]]
    prefs = {
        "channel": rng.choice(["whatsapp", "whatsapp", "email"]),
        "newsletter": rng.random() < 0.6,
        "interests": sorted(rng.sample(tops, rng.randint(1, 3))),
        "address": address,
    }
    return json.dumps(prefs, ensure_ascii=False)


def build_customers(reference: datetime, rng_seed: int) -> tuple[list[Row], list[Person]]:
    """50 customers (the fixed three first) plus the staff accounts, and their shipping data."""
    rng = _rng(rng_seed, "customers")
    vocab = _vocab("shop_vocab.json")
    cities = _cities()
    rows: list[Row] = []
    people: list[Person] = []
    emails: set[str] = set()

    def add(cid: str, number: int, name: str, tier: str, role: str, city: City, street: str, cuit: str | None) -> None:
        first, last = name.split(" ", 1) if " " in name else (name, "")
        address = _address(street, city)
        rows.append({
            "id": cid, "user_id": f"54911600{number:05d}", "name": name, "email": _email(first, last, rng, emails),
            "phone": f"+54 9 11 6000-{number:04d}", "tier": tier, "role": role, "cuit": cuit,
            "preferences": _preferences(rng, address),
            "created_at": _seconds(reference - timedelta(days=rng.randint(400, 1500), seconds=rng.randrange(86400))),
        })
        people.append(Person(cid, tier, city, address))

    for number, fixed in enumerate(FIXED_CUSTOMERS, start=1):
        add(fixed.id, number, fixed.name, fixed.tier, fixed.role, cities[fixed.city], fixed.street, fixed.cuit)

    tiers = [tier for tier, n in TIER_COUNTS.items() for _ in range(n)]
    for fixed in FIXED_CUSTOMERS:
        tiers.remove(fixed.tier)
    rng.shuffle(tiers)
    city_list = list(cities.values())
    names = {c.name for c in FIXED_CUSTOMERS} | {name for _, _, name in STAFF}
    for number, tier in enumerate(tiers, start=len(FIXED_CUSTOMERS) + 1):
        female = rng.random() < 0.5
        name = _new_name(female, names, rng)
        city = rng.choices(city_list, [c.weight for c in city_list])[0]
        street = f"{rng.choice(vocab['streets'])} {rng.randint(100, 5999)}"
        if rng.random() < 0.35:
            street += f", Piso {rng.randint(1, 14)} {rng.choice('ABCDEF')}"
        cuit = None
        if rng.random() < 0.2:  # registered taxpayers get type A invoices
            while cuit is None:
                cuit = _cuit(27 if female else 20, rng.randint(20_000_000, 44_999_999))
        role = "customer" if tier == "basic" else "premium_customer"
        add(f"C{number:04d}", number, name, tier, role, city, street, cuit)

    for staff_id, user_id, name in STAFF:
        first, last = name.split(" ", 1)
        rows.append({
            "id": staff_id, "user_id": user_id, "name": name,
            "email": f"{_ascii_slug(first)}.{_ascii_slug(last)}@electrohogar.com.ar", "phone": None,
            "tier": "basic", "role": "support_staff", "cuit": None, "preferences": json.dumps({"team": "soporte"}),
            "created_at": _seconds(reference - timedelta(days=1600)),
        })
    return rows, people


# --------------------------------------------------------------------------- promotions


@dataclass
class Promo:
    """A promotion row while orders are being generated (counts its coupon uses).

    Which order lines it covers and how much it takes off follow `tools.shop.pricing`,
    the rules the shop prices with.
    """

    row: Row
    target_uses: int  # redemptions to seed in all: from the generated orders, then from earlier purchases
    redemptions: dict[str, datetime] = field(default_factory=dict)  # customer id -> redeemed at
    record: Promotion = field(init=False)  # the row as pricing's rules read it (scope, value: they never change)

    def __post_init__(self) -> None:
        self.record = Promotion.model_validate(self.row)

    @property
    def is_coupon(self) -> bool:
        return self.row["code"] is not None

    def valid_at(self, moment: datetime, tier: str) -> bool:
        row = self.row
        return (row["active"] and row["starts_at"] <= moment < row["ends_at"]
                and tier_allows(tier, row["min_tier"]) and not self.exhausted)

    @property
    def exhausted(self) -> bool:
        limit = self.row["usage_limit"]
        return limit is not None and len(self.redemptions) >= limit

    def can_redeem(self, customer_id: str) -> bool:
        """A coupon an order may still use: seeded uses left and not yet used by this customer."""
        return (self.is_coupon and len(self.redemptions) < self.target_uses
                and customer_id not in self.redemptions and customer_id not in FIXED_CUSTOMER_IDS)

    def applies_to(self, product: Row, path: tuple[str, ...]) -> bool:
        """A coupon covers its scope; an automatic promotion must also lower the product's price."""
        covers = in_scope if self.is_coupon else lowers_price
        return covers(self.record, product["id"], path)

    def discount(self, lines: list[tuple[Row, int, int]], paths: dict[str, tuple[str, ...]]) -> int:
        """Centavos off the matching lines' after-tier amounts (lines: product, quantity, amount)."""
        base = sum(amount for product, _, amount in lines if self.applies_to(product, paths[product["category_id"]]))
        return discount_cents(self.record, base)


def _first_product(products: list[Row], category_id: str, contains: str = "", brand: str | None = None) -> Row:
    """The first active product of a category matching the filters (first of the category as fallback)."""
    in_category = [p for p in products if p["category_id"] == category_id and p["active"]]
    for product in in_category:
        if contains in product["name"] and (brand is None or product["brand"] == brand):
            return product
    if not in_category:
        raise ValueError(f"no active product in category {category_id!r}; seed more products")
    return in_category[0]


def build_promotions(products: list[Row], reference: datetime) -> list[Promo]:
    promos = []
    for promo_id, spec in enumerate(_vocab("shop_vocab.json")["promotions"], start=1):
        target = spec.get("product")  # a product promotion names its product by category and brand
        product_id = _first_product(products, target["category_id"], brand=target["brand"])["id"] if target else None
        value = spec["value"] * 100 if spec["kind"] == "fixed" else spec["value"]
        row = {
            "id": promo_id, "code": spec["code"], "name": spec["name"], "description": spec["description"],
            "kind": spec["kind"], "value": value, "category_id": spec.get("category_id"), "product_id": product_id,
            "min_tier": spec.get("min_tier"), "starts_at": reference + timedelta(days=spec["starts"]),
            "ends_at": reference + timedelta(days=spec["ends"]), "usage_limit": spec.get("usage_limit"),
            "used_count": 0, "active": spec.get("active", True),
        }
        promos.append(Promo(row, spec.get("uses", 0)))
    return promos


def _fill_redemptions(promos: list[Promo], people: list[Person], reference: datetime, rng: random.Random) -> None:
    """Top coupons up to their seeded use count with redemptions from earlier purchases."""
    for promo in promos:
        row = promo.row
        if not promo.is_coupon or row["starts_at"] >= reference:
            continue
        eligible = [p for p in people if p.id not in FIXED_CUSTOMER_IDS and p.id not in promo.redemptions
                    and tier_allows(p.tier, row["min_tier"])]
        rng.shuffle(eligible)
        window = (min(row["ends_at"], reference) - row["starts_at"]).total_seconds()
        while len(promo.redemptions) < promo.target_uses and not promo.exhausted and eligible:
            moment = row["starts_at"] + timedelta(seconds=rng.uniform(0, window))
            promo.redemptions[eligible.pop().id] = _seconds(moment)
    for promo in promos:
        promo.row["used_count"] = len(promo.redemptions)


def _redemption_rows(promos: list[Promo]) -> list[Row]:
    ordered = sorted((at, p.row["id"], cid) for p in promos for cid, at in p.redemptions.items())
    return [{"id": i, "promotion_id": pid, "customer_id": cid, "redeemed_at": at}
            for i, (at, pid, cid) in enumerate(ordered, start=1)]


# --------------------------------------------------------------------------- orders and shipments


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
    nearest = min(warehouses, key=lambda w: _distance_km(cities[w["city"]], person.city))
    origin = cities[nearest["city"]]
    distance = rng.randint(5, 35) if origin == person.city else max(10, round(_distance_km(origin, person.city)))
    carriers = _vocab("shop_vocab.json")["carriers"]
    carrier = rng.choices(carriers, [c["weight"] for c in carriers])[0]
    return Route(nearest, origin, person.city, distance, carrier["id"], carrier["name"])


def _event_path(status: str, route: Route, rng: random.Random) -> list[tuple[str, float, str, str]]:
    """Tracking events up to `status`, as (status, hours after payment, location, description)."""
    events: list[tuple[str, float, str, str]] = []
    hours = rng.uniform(1, 6)
    depot = route.warehouse["name"]
    origin_hub = f"Centro de distribución {route.carrier_name} {route.origin.name}"
    destination_hub = f"Centro de distribución {route.carrier_name} {route.destination.name}"
    door = _place(route.destination)

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
        draft.created_at = _seconds(reference - _hours(rng.uniform(1, 40)))
        return
    route = _route(draft.person, warehouses, cities, rng)
    path = _event_path(draft.status, route, rng)
    low, high = LAST_EVENT_AGE_HOURS[draft.status]
    paid_at = reference - _hours(rng.uniform(low, high)) - _hours(path[-1][1])
    draft.created_at = _seconds(paid_at - _hours(rng.uniform(0.05, 3)))
    draft.route = route
    draft.events = [(status, _seconds(paid_at + _hours(h)), where, what) for status, h, where, what in path]
    expected = paid_at + _hours(30 + route.transit_hours + 24)
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
              [(_first_product(products, category, contains), 1) for category, contains in fixed.picks], fixed.number)
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
    rng = _rng(rng_seed, "orders")
    cities = _cities()
    drafts = _plan_orders(products, people, rng)
    for draft in drafts:
        _schedule(draft, reference, warehouses, cities, rng)
    drafts.sort(key=lambda d: (d.created_at, d.number or ""))
    paths = {sub.id: sub.path for sub, _ in _subcategories(_vocab("catalog_vocab.json"))}
    for draft in drafts:
        _apply_promotions(draft, promos, paths, rng)
    _assign_numbers(drafts, rng)
    return _order_tables(drafts, rng)


# --------------------------------------------------------------------------- knowledge base and tickets


def build_kb_articles() -> list[Row]:
    return [
        {"id": i, "kind": a["kind"], "title": a["title"], "body": a["body"], "category_id": a["category_id"],
         "tags": json.dumps(a["tags"], ensure_ascii=False)}
        for i, a in enumerate(_vocab("kb_articles.json"), start=1)
    ]


def build_support_tickets(reference: datetime) -> list[Row]:
    return [
        {"id": i, "customer_id": t["customer_id"], "subject": t["subject"], "description": t["description"],
         "status": t["status"], "priority": t["priority"], "created_at": reference - _hours(t["hours_ago"])}
        for i, t in enumerate(_vocab("shop_vocab.json")["support_tickets"], start=1)
    ]


# --------------------------------------------------------------------------- assembling and writing


def default_reference() -> datetime:
    """Today at 00:00 UTC."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _normalize_reference(reference: datetime | None) -> datetime:
    if reference is None:
        return default_reference()
    if reference.tzinfo is None:
        return reference.replace(tzinfo=UTC)
    return reference.astimezone(UTC)


def build_dataset(products: int = 300, reference: datetime | None = None, rng_seed: int = 42) -> dict[str, list[Row]]:
    """Every seeded row, keyed by table name; pure and deterministic (no database needed)."""
    if products < MIN_PRODUCTS:
        raise ValueError(f"products must be at least {MIN_PRODUCTS}")
    reference = _normalize_reference(reference)
    warehouses = [dict(w) for w in _vocab("shop_vocab.json")["warehouses"]]
    product_rows = build_products(products, reference, rng_seed)
    customer_rows, people = build_customers(reference, rng_seed)
    promos = build_promotions(product_rows, reference)
    orders = build_orders(product_rows, people, promos, warehouses, reference, rng_seed)
    _fill_redemptions(promos, people, reference, _rng(rng_seed, "redemptions"))
    return {
        "categories": _category_rows(_vocab("catalog_vocab.json")),
        "products": product_rows,
        "warehouses": warehouses,
        "stock": build_stock(product_rows, warehouses, rng_seed),
        "customers": customer_rows,
        "promotions": [p.row for p in promos],
        "coupon_redemptions": _redemption_rows(promos),
        "orders": orders.orders,
        "order_lines": orders.order_lines,
        "shipments": orders.shipments,
        "shipment_events": orders.shipment_events,
        "kb_articles": build_kb_articles(),
        "support_tickets": build_support_tickets(reference),
    }


async def _count_rows(conn: AsyncConnection, seeded: bool) -> SeedSummary:
    counts = {t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one() for t in SEEDED_TABLES}
    return SeedSummary(seeded=seeded, **counts)


async def _has_products(conn: AsyncConnection) -> bool:
    return (await conn.execute(select(schema.products.c.id).limit(1))).first() is not None


async def _sync_sequences(conn: AsyncConnection) -> None:
    """PostgreSQL: move each serial sequence past the explicit ids the seed inserted."""
    for table in SEEDED_TABLES:
        column = table.autoincrement_column
        if column is None:
            continue
        highest = (await conn.execute(select(func.max(column)))).scalar()
        if highest:
            await conn.execute(text("SELECT setval(pg_get_serial_sequence(:table, :column), :value)"),
                               {"table": table.name, "column": column.name, "value": highest})


def _stored(table: Table, rows: list[Row]) -> list[Row]:
    """`rows` as written: contact columns encrypted, and a customer's phone hashed for lookups."""
    columns = dict(schema.ENCRYPTED_COLUMNS).get(table, ())
    if not columns:
        return rows
    cipher = get_cipher()
    stored = [row | {c: cipher.encrypt(row[c]) for c in columns} for row in rows]
    if table is schema.customers:
        for plain, row in zip(rows, stored):
            row["phone_hash"] = cipher.lookup_hash(plain["phone"]) if plain["phone"] else None
    return stored


async def _write(conn: AsyncConnection, data: dict[str, list[Row]]) -> None:
    for table in SEEDED_TABLES:
        for chunk in _chunks(data[table.name]):
            await conn.execute(table.insert(), _stored(table, chunk))
    if not is_sqlite(conn):
        await _sync_sequences(conn)


async def seed(engine: AsyncEngine, *, products: int = 300, reference: datetime | None = None,
               rng_seed: int = 42) -> SeedSummary:
    """Fill an empty, migrated shop database; a database that has products is left untouched.

    Runs in one transaction (all or nothing). On PostgreSQL an advisory lock makes
    concurrent first starts seed once; on SQLite a concurrent loser fails on the unique
    keys or the write lock, rolls back and reports what the winner wrote.
    """
    async with engine.connect() as conn:
        if await _has_products(conn):
            return await _count_rows(conn, seeded=False)
    data = await asyncio.to_thread(build_dataset, products, reference, rng_seed)  # CPU-bound, keep the loop free
    try:
        async with engine.begin() as conn:
            if not is_sqlite(conn):
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEED_LOCK_ID})
            if await _has_products(conn):
                return await _count_rows(conn, seeded=False)
            await _write(conn, data)
            return await _count_rows(conn, seeded=True)
    except (IntegrityError, OperationalError):
        async with engine.connect() as conn:
            if await _has_products(conn):
                return await _count_rows(conn, seeded=False)
        raise


# --------------------------------------------------------------------------- command line


async def _run(url: str, products: int, reset: bool, rng_seed: int) -> SeedSummary:
    engine = create_engine(url)
    try:
        if reset:
            async with engine.begin() as conn:
                await conn.run_sync(schema.metadata.drop_all)
        await migrate(engine)
        return await seed(engine, products=products, rng_seed=rng_seed)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.shop.seed", description="Migrate and seed the shop DB.")
    parser.add_argument("--database-url", help="default: $DATABASE_URL or sqlite+aiosqlite:///.data/shop.db")
    parser.add_argument("--products", type=int, default=300, help="catalog size: 300 (default), 10000, 100000...")
    parser.add_argument("--reset", action="store_true", help="drop and recreate every shop table first")
    parser.add_argument("--rng-seed", type=int, default=42, help="random seed (default 42)")
    args = parser.parse_args(argv)
    if args.products < MIN_PRODUCTS:
        parser.error(f"--products must be at least {MIN_PRODUCTS}")
    url = args.database_url or get_settings().database_url
    started = time.perf_counter()
    summary = asyncio.run(_run(url, args.products, args.reset, args.rng_seed))
    elapsed = time.perf_counter() - started
    print(f"{'seeded' if summary.seeded else 'already seeded, nothing written'} in {elapsed:.1f} s")
    for table, count in summary.counts().items():
        print(f"  {table:<20}{count:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
