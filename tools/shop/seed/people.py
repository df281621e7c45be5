"""Seeded people: the fixed and generated customers, the staff accounts, and the cities they live in."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tools.shop.seed.common import (
    Row,
    ascii_slug,
    load_vocab,
    section_rng,
    whole_seconds,
)

TIER_COUNTS = {"basic": 30, "premium": 14, "vip": 6}


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
class City:
    name: str
    province: str
    zip: str
    lat: float
    lon: float
    weight: int


def load_cities() -> dict[str, City]:
    """The cities customers live in and warehouses stand in, by name."""
    return {c["name"]: City(**c) for c in load_vocab("shop_vocab.json")["cities"]}


def road_km(a: City, b: City) -> float:
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


def place_name(city: City) -> str:
    """"Córdoba, Córdoba" reads oddly for the capital: "CABA", "La Plata, Buenos Aires"."""
    return city.name if city.province == city.name else f"{city.name}, {city.province}"


def _address(street: str, city: City) -> str:
    return f"{street}, {place_name(city)} ({city.zip})"


def _new_name(female: bool, taken: set[str], rng: random.Random) -> str:
    """An Argentine full name nobody in `taken` has (customers and staff never share one)."""
    vocab = load_vocab("shop_vocab.json")
    while True:
        first = rng.choice(vocab["first_names_female" if female else "first_names_male"])
        name = f"{first} {rng.choice(vocab['last_names'])}"
        if name not in taken:
            taken.add(name)
            return name


def _email(first: str, last: str, rng: random.Random, taken: set[str]) -> str:
    vocab = load_vocab("shop_vocab.json")
    domains, weights = zip(*vocab["email_domains"])
    first_s, last_s = ascii_slug(first.split()[0]), ascii_slug(last)
    local = rng.choice([f"{first_s}.{last_s}", f"{first_s}{last_s}", f"{first_s[0]}{last_s}"])
    domain = rng.choices(domains, weights)[0]
    email = f"{local}@{domain}"
    while email in taken:
        email = f"{local}{rng.randint(1, 99)}@{domain}"
    taken.add(email)
    return email


def _preferences(rng: random.Random, address: str) -> str:
    tops = [c["id"] for c in load_vocab("catalog_vocab.json")["categories"]]
    prefs = {
        "channel": rng.choice(["whatsapp", "whatsapp", "email"]),
        "newsletter": rng.random() < 0.6,
        "interests": sorted(rng.sample(tops, rng.randint(1, 3))),
        "address": address,
    }
    return json.dumps(prefs, ensure_ascii=False)


def build_customers(reference: datetime, rng_seed: int) -> tuple[list[Row], list[Person]]:
    """50 customers (the fixed three first) plus the staff accounts, and their shipping data."""
    rng = section_rng(rng_seed, "customers")
    vocab = load_vocab("shop_vocab.json")
    cities = load_cities()
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
            "created_at": whole_seconds(reference - timedelta(days=rng.randint(400, 1500), seconds=rng.randrange(86400))),
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
            "email": f"{ascii_slug(first)}.{ascii_slug(last)}@electrohogar.com.ar", "phone": None,
            "tier": "basic", "role": "support_staff", "cuit": None, "preferences": json.dumps({"team": "soporte"}),
            "created_at": whole_seconds(reference - timedelta(days=1600)),
        })
    return rows, people
