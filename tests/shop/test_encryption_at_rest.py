"""Customer e-mails, phones and addresses are stored encrypted; the repositories read plaintext.

Every test taking `engine` runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.keys import LOOKUP, NEW, OLD, keys, use_keys  # noqa: F401  (keys: autouse fixture)
from tools import crypto, key_rotation
from tools.crypto import FieldCipher, UndecryptableValue
from tools.settings import REPO_ROOT
from tools.shop import db
from tools.shop.catalog import customer_by_phone, customer_by_user_id
from tools.shop.orders import order_for_customer
from tools.shop.outbox import deliver_pending, enqueue_email
from tools.shop.schema import customers, outbox, schema_version
from tools.shop.seed import build_dataset, seed

REFERENCE = datetime(2025, 11, 20, tzinfo=UTC)
DATASET = build_dataset(300, REFERENCE)
C0001 = DATASET["customers"][0]
C0001_ADDRESS = json.loads(C0001["preferences"])["address"]
LONG_EMAIL = "maria.fernanda.de.los.angeles.gonzalez." * 3 + "@example.com.ar"  # fits VARCHAR(200), its token not


def phone_hash(phone: str, key: str = LOOKUP) -> str:
    return hmac.new(key.encode(), "".join(ch for ch in phone if ch.isdigit()).encode(), hashlib.sha256).hexdigest()


RAW_CONTACT = text(
    "SELECT c.email, c.phone, c.preferences, o.shipping_address FROM customers c LEFT JOIN orders o ON o.customer_id = c.id"
)


async def raw_cells(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return [cell for row in (await conn.execute(RAW_CONTACT)).all() for cell in row if cell is not None]


async def test_seeded_contact_data_is_not_stored_in_plaintext(engine: AsyncEngine) -> None:
    await seed(engine, reference=REFERENCE)
    cells = await raw_cells(engine)
    everything = "\n".join(cells)
    assert len(cells) > 200
    assert "5491160000001" not in everything and "6000-0001" not in everything
    for person in DATASET["customers"]:
        assert person["email"] not in everything
        if person["phone"]:
            assert person["phone"] not in everything
    for order in DATASET["orders"]:
        assert order["shipping_address"] not in everything
    assert all(crypto.is_token(cell) for cell in cells)


async def test_repositories_return_plaintext_and_find_customers_by_phone(engine: AsyncEngine) -> None:
    await seed(engine, reference=REFERENCE)
    async with engine.connect() as conn:
        ana = await customer_by_user_id(conn, "5491160000001")
        order = await order_for_customer(conn, "C0001", "4581230")
        by_phone = await customer_by_phone(conn, "+54 9 11 6000-0002")
        by_digits = await customer_by_phone(conn, "5491160000002")
        nobody = await customer_by_phone(conn, "+54 9 11 6999-9999")
        stored_hash = (await conn.execute(select(customers.c.phone_hash).where(customers.c.id == "C0001"))).scalar_one()
    assert ana and (ana.email, ana.phone, ana.preferences["address"]) == (C0001["email"], "+54 9 11 6000-0001", C0001_ADDRESS)
    assert order and order.shipping_address == C0001_ADDRESS
    assert by_phone and by_digits and by_phone.id == by_digits.id == "C0002"
    assert nobody is None
    assert stored_hash == phone_hash("5491160000001")


async def test_a_phone_shared_by_two_customers_finds_nobody(engine: AsyncEngine) -> None:
    await seed(engine, reference=REFERENCE)
    async with engine.begin() as conn:
        await conn.execute(update(customers).where(customers.c.id == "C0005").values(phone_hash=phone_hash("5491160000002")))
        assert await customer_by_phone(conn, "5491160000002") is None


async def roll_back_to_v2(engine: AsyncEngine) -> None:
    """The schema as version 2 left it: no phone_hash nor user_ref, narrow contact columns, user ids in clear."""
    async with engine.begin() as conn:
        await conn.execute(schema_version.update().values(version=2))
        await conn.exec_driver_sql("DROP INDEX ix_customers_phone_hash")
        await conn.exec_driver_sql("ALTER TABLE customers DROP COLUMN phone_hash")
        await conn.exec_driver_sql("ALTER TABLE customers DROP COLUMN user_ref")
        if not db.is_sqlite(conn):
            for table, column, width in (("customers", "email", 200), ("customers", "phone", 32), ("outbox", "recipient", 200)):
                await conn.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR({width})")
        await conn.execute(text(
            "INSERT INTO customers (id, user_id, name, email, phone, tier, role, preferences, created_at) VALUES "
            "('C0001', '5491160000001', 'Lucía Fernández', :email, '+54 9 11 6000-0001', 'basic', 'customer', :prefs, :at),"
            "('S0001', 'staff-0001', 'Ignacio Villalba', 'ignacio@electrohogar.com.ar', NULL, 'basic', 'support_staff', '{}', :at)"
        ), {"email": LONG_EMAIL, "prefs": json.dumps({"address": C0001_ADDRESS}), "at": REFERENCE})
        await conn.execute(text(
            "INSERT INTO orders (id, number, customer_id, status, created_at, subtotal_cents, discount_cents, total_cents,"
            " shipping_address) VALUES (1, '4581230', 'C0001', 'paid', :at, 100, 0, 100, :address)"
        ), {"at": REFERENCE, "address": C0001_ADDRESS})
        await conn.execute(text(
            "INSERT INTO outbox (kind, recipient, subject, body, status, attempts, created_at)"
            " VALUES ('invoice_email', :email, 'Tu factura', 'TOTAL: $1,00', 'pending', 0, :at)"
        ), {"email": LONG_EMAIL, "at": REFERENCE})


class Recorder:
    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def send(self, recipient: str, subject: str, body: str) -> None:
        self.recipients.append(recipient)


async def test_migration_from_v2_encrypts_plaintext_rows_and_keeps_them_readable(engine: AsyncEngine) -> None:
    await roll_back_to_v2(engine)
    assert await db.migrate(engine) == db.SCHEMA_VERSION == 5
    async with engine.connect() as conn:
        user_ids = (await conn.execute(text("SELECT user_id FROM customers ORDER BY id"))).scalars().all()
        raw = (await conn.execute(text("SELECT email, phone, preferences, phone_hash FROM customers ORDER BY id"))).all()
        raw_order = (await conn.execute(text("SELECT shipping_address FROM orders"))).scalar_one()
        raw_recipient = (await conn.execute(text("SELECT recipient FROM outbox"))).scalar_one()
        lucia = await customer_by_phone(conn, "+54 9 11 6000-0001")
        staff = await customer_by_user_id(conn, "staff-0001")
        order = await order_for_customer(conn, "C0001", "4581230")
    assert user_ids == [crypto.get_cipher().pseudonym("5491160000001"), crypto.get_cipher().pseudonym("staff-0001")]
    cells = [raw[0].email, raw[0].phone, raw[0].preferences, raw[1].email, raw_order, raw_recipient]
    assert all(crypto.is_token(cell) for cell in cells)
    assert not any(plain in cell for cell in cells for plain in ("6000-0001", "maria.fernanda", "Calle 7", "ignacio@"))
    assert raw[0].phone_hash == phone_hash("5491160000001") and raw[1].phone is None and raw[1].phone_hash is None
    assert lucia and (lucia.id, lucia.email, lucia.phone) == ("C0001", LONG_EMAIL, "+54 9 11 6000-0001")
    assert lucia.preferences == {"address": C0001_ADDRESS}
    assert staff and staff.email == "ignacio@electrohogar.com.ar"
    assert order and order.shipping_address == C0001_ADDRESS
    recorder = Recorder()
    assert len((await deliver_pending(engine, recorder)).sent) == 1
    assert recorder.recipients == [LONG_EMAIL]


async def test_queued_invoice_emails_store_the_recipient_encrypted(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await enqueue_email(conn, kind="invoice_email", recipient="ana@example.com", subject="s", body="b")
    async with engine.connect() as conn:
        stored = (await conn.execute(select(outbox.c.recipient))).scalar_one()
    assert "ana@example.com" not in stored and FieldCipher([OLD], LOOKUP).decrypt(stored) == "ana@example.com"


async def seed_file(url: str) -> None:
    engine = db.create_engine(url)
    try:
        await db.migrate(engine)
        await seed(engine, reference=REFERENCE)
        async with engine.begin() as conn:
            await enqueue_email(conn, kind="invoice_email", recipient=C0001["email"], subject="s", body="b")
    finally:
        await engine.dispose()


async def stored_tokens(url: str) -> list[str]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as conn:
            cells = [c for row in (await conn.execute(RAW_CONTACT)).all() for c in row if c is not None]
            return cells + [(await conn.execute(select(outbox.c.recipient))).scalar_one()]
    finally:
        await engine.dispose()


async def lookups(url: str) -> tuple[str | None, str | None, str | None]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as conn:
            by_id = await customer_by_user_id(conn, "5491160000001")
            by_phone = await customer_by_phone(conn, "+54 9 11 6000-0001")
            order = await order_for_customer(conn, "C0001", "4581230")
    finally:
        await engine.dispose()
    return (by_id.email if by_id else None, by_phone.id if by_phone else None,
            order.shipping_address if order else None)


def test_rotate_command_moves_everything_to_the_new_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    asyncio.run(seed_file(url))
    use_keys(monkeypatch, f"{NEW},{OLD}")  # step 2: the new key prepended
    done = subprocess.run(
        [sys.executable, "-m", "tools.key_rotation", "rotate", "--database-url", url, "--batch", "4"],
        capture_output=True, text=True, cwd=REPO_ROOT, env=dict(os.environ), timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "customers" in done.stdout and "52" in done.stdout and "200" in done.stdout

    use_keys(monkeypatch, NEW)  # step 4: the old key dropped
    tokens = asyncio.run(stored_tokens(url))
    old_only, new_only = FieldCipher([OLD], LOOKUP), FieldCipher([NEW], LOOKUP)
    assert len(tokens) > 250 and all(crypto.is_token(t) and new_only.decrypt(t) for t in tokens)
    for token in tokens:
        with pytest.raises(UndecryptableValue):
            old_only.decrypt(token)
    assert asyncio.run(lookups(url)) == (C0001["email"], "C0001", C0001_ADDRESS)


def test_rotate_rehash_follows_a_new_lookup_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    asyncio.run(seed_file(url))
    use_keys(monkeypatch, OLD, lookup="another-lookup-key-0123456789abcdef012")
    assert asyncio.run(lookups(url)) == (None, None, C0001_ADDRESS)  # hashes and pseudonyms under the old lookup key
    assert key_rotation.main(["rotate", "--rehash", "--database-url", url]) == 0
    assert asyncio.run(lookups(url)) == (C0001["email"], "C0001", C0001_ADDRESS)
