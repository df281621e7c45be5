"""The shop's tables (SQLAlchemy Core), identical on SQLite and PostgreSQL.

Money is stored as integer centavos (`*_cents`, BIGINT) so both engines are exact;
code converts to `Decimal` pesos at the edge. JSON-ish columns (`attributes`,
`preferences`, `tags`) are TEXT holding JSON, for the same reason.

Customer contact data is stored encrypted (`ENCRYPTED_COLUMNS`, Fernet tokens from
`tools.crypto`, hence TEXT); `customers.phone_hash` is the keyed hash that finds a
customer by phone without decrypting anything, and `customers.user_id` is the keyed
pseudonym of the customer's channel id (their WhatsApp number, a token subject): the
id itself is only in `user_ref`, encrypted.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

TIERS = ("basic", "premium", "vip")
ROLES = ("customer", "premium_customer", "support_staff")
ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled")
SHIPMENT_STATUSES = ("preparing", "dispatched", "in_transit", "out_for_delivery", "delivered", "failed_attempt", "returned")

schema_version = Table(
    "schema_version", metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("version", Integer, nullable=False),
)

customers = Table(
    "customers", metadata,
    Column("id", String(16), primary_key=True),  # "C0001"
    Column("user_id", String(64), nullable=False, unique=True),  # tools.crypto pseudonym(wa_id or token subject)
    Column("user_ref", Text),  # encrypted: that user id itself (for `rotate --rehash`)
    Column("name", String(120), nullable=False),
    Column("email", Text, nullable=False),  # encrypted
    Column("phone", Text),  # encrypted
    Column("phone_hash", String(64)),  # tools.crypto lookup_hash(phone)
    Column("tier", String(16), nullable=False, server_default="basic"),
    Column("role", String(24), nullable=False, server_default="customer"),
    Column("cuit", String(13)),  # for invoice type A ("20-12345678-3")
    Column("preferences", Text, nullable=False, server_default="{}"),  # encrypted: holds the address
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_customers_phone_hash", "phone_hash"),
    CheckConstraint("tier in ('basic','premium','vip')", name="ck_customers_tier"),
    CheckConstraint("role in ('customer','premium_customer','support_staff')", name="ck_customers_role"),
)

categories = Table(
    "categories", metadata,
    Column("id", String(64), primary_key=True),  # slug: "notebooks-gamer"
    Column("name", String(120), nullable=False),
    Column("parent_id", String(64), ForeignKey("categories.id")),
    Column("description", Text, nullable=False, server_default=""),
)

products = Table(
    "products", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sku", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("brand", String(80), nullable=False),
    Column("category_id", String(64), ForeignKey("categories.id"), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("attributes", Text, nullable=False, server_default="{}"),  # {"gpu": "RTX 4060", "ram_gb": 16, ...}
    Column("price_cents", BigInteger, nullable=False),
    Column("iva_rate", String(5), nullable=False, server_default="21"),  # "21" or "10.5"
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("price_cents >= 0", name="ck_products_price"),
    CheckConstraint("iva_rate in ('21','10.5')", name="ck_products_iva"),
    Index("ix_products_category", "category_id"),
    Index("ix_products_brand", "brand"),
)

warehouses = Table(
    "warehouses", metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("city", String(80), nullable=False),
)

stock = Table(
    "stock", metadata,
    Column("product_id", Integer, ForeignKey("products.id"), primary_key=True),
    Column("warehouse_id", String(16), ForeignKey("warehouses.id"), primary_key=True),
    Column("quantity", Integer, nullable=False),
    CheckConstraint("quantity >= 0", name="ck_stock_nonnegative"),
)

promotions = Table(
    "promotions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), unique=True),  # coupon code; NULL for automatic promotions
    Column("name", String(120), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("kind", String(8), nullable=False),  # "percent" | "fixed"
    Column("value", BigInteger, nullable=False),  # percent points, or centavos off
    Column("category_id", String(64), ForeignKey("categories.id")),
    Column("product_id", Integer, ForeignKey("products.id")),
    Column("min_tier", String(16)),  # NULL: everyone
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("usage_limit", Integer),  # NULL: unlimited
    Column("used_count", Integer, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="1"),
    CheckConstraint("kind in ('percent','fixed')", name="ck_promotions_kind"),
    CheckConstraint("value > 0", name="ck_promotions_value"),
    CheckConstraint("kind <> 'percent' or value <= 100", name="ck_promotions_percent"),
    CheckConstraint("usage_limit is null or used_count <= usage_limit", name="ck_promotions_limit"),
)

coupon_redemptions = Table(
    "coupon_redemptions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("promotion_id", Integer, ForeignKey("promotions.id"), nullable=False),
    Column("customer_id", String(16), ForeignKey("customers.id"), nullable=False),
    Column("redeemed_at", DateTime(timezone=True), nullable=False),
    Column("turn_key", String(64)),  # the service turn that redeemed it (`tools.turn_key`)
    UniqueConstraint("promotion_id", "customer_id", name="uq_redemption_once_per_customer"),
)

orders = Table(
    "orders", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(16), nullable=False, unique=True),  # "4581230"
    Column("customer_id", String(16), ForeignKey("customers.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("subtotal_cents", BigInteger, nullable=False),
    Column("discount_cents", BigInteger, nullable=False, server_default="0"),
    Column("total_cents", BigInteger, nullable=False),
    Column("shipping_address", Text, nullable=False),  # encrypted
    Column("promotion_id", Integer, ForeignKey("promotions.id")),
    CheckConstraint("status in ('pending','paid','shipped','delivered','cancelled')", name="ck_orders_status"),
    CheckConstraint("total_cents = subtotal_cents - discount_cents and total_cents >= 0", name="ck_orders_total"),
    Index("ix_orders_customer_created", "customer_id", "created_at"),
)

order_lines = Table(
    "order_lines", metadata,
    Column("order_id", Integer, ForeignKey("orders.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    CheckConstraint("quantity > 0", name="ck_order_lines_quantity"),
)

shipments = Table(
    "shipments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False, unique=True),
    Column("carrier", String(32), nullable=False),  # andreani | oca | correo_argentino | mercado_envios
    Column("tracking_number", String(40), nullable=False, unique=True),
    Column("status", String(24), nullable=False),
    Column("origin_city", String(80), nullable=False),
    Column("destination_city", String(80), nullable=False),
    Column("distance_km", Integer, nullable=False),
    Column("shipped_at", DateTime(timezone=True)),
    Column("estimated_delivery", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
)

shipment_events = Table(
    "shipment_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shipment_id", Integer, ForeignKey("shipments.id"), nullable=False),
    Column("status", String(24), nullable=False),
    Column("location", String(120), nullable=False),
    Column("description", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Index("ix_shipment_events_shipment", "shipment_id", "occurred_at"),
)

invoices = Table(
    "invoices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(16), nullable=False, unique=True),  # "0003-00001234" (punto de venta-número)
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False, unique=True),
    Column("invoice_type", String(1), nullable=False),  # "A" | "B"
    Column("customer_cuit", String(13)),
    Column("net_cents", BigInteger, nullable=False),
    Column("iva_21_cents", BigInteger, nullable=False),
    Column("iva_105_cents", BigInteger, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("rendered_text", Text, nullable=False),
    Column("turn_key", String(64)),  # the service turn that issued it (`tools.turn_key`)
    CheckConstraint("invoice_type in ('A','B')", name="ck_invoices_type"),
    CheckConstraint("invoice_type = 'B' or customer_cuit is not null", name="ck_invoices_cuit_for_a"),
    CheckConstraint("total_cents = net_cents + iva_21_cents + iva_105_cents", name="ck_invoices_total"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # "invoice_email"
    Column("recipient", Text, nullable=False),  # encrypted
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_outbox_status", "status", "created_at"),
)

support_tickets = Table(
    "support_tickets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(16), ForeignKey("customers.id"), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("priority", String(8), nullable=False, server_default="normal"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("turn_key", String(64)),  # the service turn that opened it: a retried turn opens no second one
    Index("uq_support_tickets_turn_key", "turn_key", unique=True),
)

kb_articles = Table(
    "kb_articles", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # faq | troubleshooting | manual
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("category_id", String(64), ForeignKey("categories.id")),
    Column("tags", Text, nullable=False, server_default="[]"),
)

ENCRYPTED_COLUMNS: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (customers, ("email", "phone", "preferences", "user_ref")),
    (orders, ("shipping_address",)),
    (outbox, ("recipient",)),
)
"""Columns holding a customer's e-mail, phone or address, as Fernet tokens (`tools.crypto`)."""
