"""The pizzeria's runtime files keep phones and addresses encrypted; the stores return plaintext."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chat import Chat
from tests.keys import NEW, OLD, keys, use_keys  # noqa: F401  (keys: autouse fixture)
from tools.crypto import FieldCipher, UndecryptableValue
from tools.pizzeria import stores
from tools.settings import get_settings

PHONE = "5491177770001"
ADDRESS = "Av. Corrientes 1234, 5° B"


def seed_customers() -> dict[str, dict[str, str | None]]:
    return json.loads((get_settings().pizzeria_seed_dir / "clientes.json").read_text(encoding="utf-8"))


async def test_registration_and_order_leave_no_plaintext_phone_or_address(data_dir: Path) -> None:
    seed_file = get_settings().pizzeria_seed_dir / "clientes.json"
    seed_before = seed_file.read_bytes()
    chat = await Chat.open(user_id=PHONE)
    for text in ("hola", "me llamo Ana", "dos muzzas grandes", "eso es todo", "sí", ADDRESS, "efectivo"):
        await chat.say(text)
    clientes = (data_dir / "clientes.json").read_text(encoding="utf-8")
    pedidos = (data_dir / "pedidos.json").read_text(encoding="utf-8")
    for needle in (PHONE, "7777-0001", "Corrientes"):
        assert needle not in clientes and needle not in pedidos
    for phone, record in seed_customers().items():  # the seeded customers were encrypted on the way in
        assert phone not in clientes and (record["address"] is None or record["address"] not in clientes)
    assert "Ana" in clientes and json.loads(pedidos)[0]["customer_name"] == "Ana"
    assert seed_file.read_bytes() == seed_before

    ana = stores.customers().get(PHONE)
    (order,) = stores.orders().all()
    assert ana and (ana.name, ana.phone, ana.address) == ("Ana", PHONE, ADDRESS)
    assert (order.user_id, order.address) == (PHONE, ADDRESS)


def test_seeded_customers_are_found_by_phone_with_their_address() -> None:
    seeded = seed_customers()
    for phone, record in seeded.items():
        customer = stores.customers().get(phone)
        assert customer and (customer.name, customer.phone, customer.address) == (record["name"], phone, record["address"])
    assert stores.customers().get("5491100000000") is None


def test_rotation_reencrypts_the_files_and_rehash_refiles_customers(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stores.customers().register(PHONE, "Ana")
    stores.customers().remember_address(PHONE, ADDRESS)
    stores.orders().save_once("k1", {"user_id": PHONE, "customer_name": "Ana", "items": [], "total": 1, "address": ADDRESS})
    use_keys(monkeypatch, f"{NEW},{OLD}")
    counts = stores.reseal_files(data_dir)
    assert counts == {"clientes.json": len(seed_customers()) + 1, "pedidos.json": 1}

    use_keys(monkeypatch, NEW)
    ana = stores.customers().get(PHONE)
    assert ana and (ana.phone, ana.address) == (PHONE, ADDRESS)
    assert [(o.user_id, o.address) for o in stores.orders().all()] == [(PHONE, ADDRESS)]
    stored = json.loads((data_dir / "clientes.json").read_text())
    with pytest.raises(UndecryptableValue):
        FieldCipher([OLD], "x").decrypt(next(iter(stored.values()))["phone"])

    use_keys(monkeypatch, NEW, lookup="new-lookup-key-0123456789abcdef0123456")
    assert stores.customers().get(PHONE) is None
    stores.reseal_files(data_dir, rehash=True)
    ana = stores.customers().get(PHONE)
    assert ana and ana.address == ADDRESS


def test_rotate_converts_a_file_written_before_encryption(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    legacy = {PHONE: {"name": "Ana", "address": ADDRESS, "created_at": "2025-01-01T00:00:00+00:00"}}
    (data_dir / "clientes.json").write_text(json.dumps(legacy), encoding="utf-8")
    assert stores.customers().get(PHONE) is None
    stores.reseal_files(data_dir)
    assert PHONE not in (data_dir / "clientes.json").read_text()
    ana = stores.customers().get(PHONE)
    assert ana and (ana.name, ana.phone, ana.address) == ("Ana", PHONE, ADDRESS)
