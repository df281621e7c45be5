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
`data/ecommerce/*.json`; this package only combines it, one module per table group:
`catalog` (categories, products, stock), `people` (customers, staff), `promotions`
(promotions, coupon redemptions), `orders` (orders, lines, shipments, tracking events),
`support` (knowledge base, tickets), `dataset` (`build_dataset`, `seed`) and `cli`.

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

from tools.shop.seed.cli import main
from tools.shop.seed.dataset import (
    SEEDED_TABLES,
    SeedSummary,
    build_dataset,
    default_reference,
    seed,
)
from tools.shop.seed.orders import FIXED_ORDERS, SHIPMENT_TO_ORDER_STATUS

__all__ = [
    "FIXED_ORDERS",
    "SEEDED_TABLES",
    "SHIPMENT_TO_ORDER_STATUS",
    "SeedSummary",
    "build_dataset",
    "default_reference",
    "main",
    "seed",
]
