"""Order status changes: forward only (or cancelled with a reason), once, with who and when, atomic with the order."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tools.pizzeria import stores
from tools.pizzeria.stores import OrderStatus, StatusRefused

LINE = {"item_id": "muzzarella", "name": "Muzzarella", "size": "grande", "size_label": "grande (8 porciones)",
        "quantity": 1, "unit_price": 9000, "subtotal": 9000}


def _order(key: str = "k1", user: str = "5491100000001") -> int:
    saved, _ = stores.orders().save_once(key, {"user_id": user, "customer_name": "Ana", "items": [LINE], "total": 9000,
                                                "address": "Av. Corrientes 1234", "channel": "web", "session_id": "web-x"})
    return saved.order_id


def test_a_new_order_starts_received_by_the_bot() -> None:
    order = stores.orders().get(_order())
    assert order and order.status == OrderStatus.RECEIVED and order.next_status == OrderStatus.COOKING
    assert [(c.status, c.by) for c in order.status_changes] == [(OrderStatus.RECEIVED, "bot")]
    assert order.channel == "web" and order.session_id == "web-x"


def test_the_forward_path_records_who_and_when(data_dir: Path) -> None:
    order_id = _order()
    for status in (OrderStatus.COOKING, OrderStatus.ON_THE_WAY, OrderStatus.DELIVERED):
        order, change = stores.orders().change_status(order_id, status, "  Carlos   Pérez ")
        assert change and change.status == status and change.by == "Carlos Pérez" and order.status == status
        assert datetime.fromisoformat(change.at).tzinfo is not None
    assert not order.is_open and order.next_status is None
    stored = json.loads((data_dir / "pedidos.json").read_text())[0]
    assert stored["status"] == "entregado" and [c["status"] for c in stored["status_changes"]] == [
        "recibido", "en preparación", "en camino", "entregado"]
    assert "Corrientes" not in json.dumps(stored)  # the change did not leave the address in the clear


def test_a_status_asked_twice_or_already_passed_is_no_change(data_dir: Path) -> None:
    order_id = _order()
    stores.orders().change_status(order_id, OrderStatus.COOKING, "Ana")
    before = (data_dir / "pedidos.json").stat().st_mtime_ns
    for status in (OrderStatus.COOKING, OrderStatus.RECEIVED):
        order, change = stores.orders().change_status(order_id, status, "Luis")
        assert change is None and order.status == OrderStatus.COOKING
    assert (data_dir / "pedidos.json").stat().st_mtime_ns == before  # nothing written
    assert len(order.status_changes) == 2


@pytest.mark.parametrize(("path", "refused", "words"), [
    ([], OrderStatus.ON_THE_WAY, "el paso siguiente es en preparación"),
    ([], OrderStatus.DELIVERED, "el paso siguiente"),
    ([OrderStatus.COOKING, OrderStatus.ON_THE_WAY, OrderStatus.DELIVERED], OrderStatus.CANCELLED, "ya está entregado"),
])
def test_only_allowed_transitions(path: list[OrderStatus], refused: OrderStatus, words: str) -> None:
    order_id = _order()
    for status in path:
        stores.orders().change_status(order_id, status, "Ana")
    with pytest.raises(StatusRefused, match=words):
        stores.orders().change_status(order_id, refused, "Ana", reason="tarde")


def test_cancel_needs_a_reason_and_closes_the_order() -> None:
    order_id = _order()
    stores.orders().change_status(order_id, OrderStatus.COOKING, "Ana")
    with pytest.raises(StatusRefused, match="motivo"):
        stores.orders().change_status(order_id, OrderStatus.CANCELLED, "Ana", reason=" \n ")
    _, change = stores.orders().change_status(order_id, OrderStatus.CANCELLED, "Ana", reason="Sin\nstock " + "x" * 400)
    assert change and change.reason and change.reason.startswith("Sin stock") and len(change.reason) == stores.MAX_REASON_CHARS
    with pytest.raises(StatusRefused, match="cancelado"):
        stores.orders().change_status(order_id, OrderStatus.ON_THE_WAY, "Ana")
    assert stores.orders().change_status(order_id, OrderStatus.CANCELLED, "Luis", reason="otra")[1] is None


def test_a_reason_is_kept_only_for_a_cancel_and_an_unknown_order_is_refused() -> None:
    order_id = _order()
    _, change = stores.orders().change_status(order_id, OrderStatus.COOKING, "Ana", reason="ignorado")
    assert change and change.reason is None
    with pytest.raises(StatusRefused, match="No hay un pedido #9999"):
        stores.orders().change_status(9999, OrderStatus.COOKING, "Ana")


def _tap_in_process(args: tuple[str, int, str]) -> bool:
    data_dir, order_id, who = args
    _, change = stores.OrderStore(Path(data_dir)).change_status(order_id, OrderStatus.COOKING, who)
    return change is not None


def test_processes_tapping_the_same_button_make_one_change(data_dir: Path) -> None:
    order_id = _order()
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        made = pool.map(_tap_in_process, [(str(data_dir), order_id, f"staff-{i}") for i in range(12)])
    assert made.count(True) == 1
    order = stores.orders().get(order_id)
    assert order and [c.status for c in order.status_changes] == [OrderStatus.RECEIVED, OrderStatus.COOKING]


def test_the_day_runs_from_six_to_six_local_time(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANEL_TIMEZONE", "America/Argentina/Buenos_Aires")  # UTC-3
    from tools.settings import get_settings

    get_settings.cache_clear()
    rows = [  # created_at in UTC: yesterday 20:00 local (open), yesterday 21:00 local (delivered), today 01:30 local
        {"created_at": "2025-05-10T23:00:00+00:00", "status": "en camino"},
        {"created_at": "2025-05-11T00:00:00+00:00", "status": "entregado"},
        {"created_at": "2025-05-11T04:30:00+00:00", "status": "recibido"},
        {"created_at": "2025-05-08T12:00:00+00:00", "status": "recibido"},  # two service days ago: left out
    ]
    cipher = stores.get_cipher()
    data_dir.mkdir(parents=True)
    (data_dir / "pedidos.json").write_text(json.dumps([
        {"order_id": 1001 + i, "order_key": f"k{i}", "user_id": cipher.encrypt("u"), "customer_name": None, "items": [],
         "total": 0, "address": cipher.encrypt("x 1"), **row} for i, row in enumerate(rows)
    ]))
    after_midnight = datetime(2025, 5, 11, 5, 0, tzinfo=UTC)  # 02:00 local: still the evening of the 10th
    assert stores.day_start(after_midnight) == datetime(2025, 5, 10, 9, 0, tzinfo=UTC)
    assert [o.order_id for o in stores.orders().of_day(after_midnight)] == [1001, 1002, 1003]
    next_morning = datetime(2025, 5, 11, 12, 0, tzinfo=UTC)  # 09:00 local: a new day; only yesterday's open orders remain
    assert [o.order_id for o in stores.orders().of_day(next_morning)] == [1001, 1003]


def test_the_days_orders_are_read_again_only_when_the_file_changed() -> None:
    order_id = _order()
    first = stores.orders().of_day()
    assert [o.status for o in first] == [OrderStatus.RECEIVED]
    assert stores.orders().of_day()[0] is first[0]  # unchanged file: the same answer, nothing decrypted
    stores.orders().change_status(order_id, OrderStatus.COOKING, "Ana")
    assert [o.status for o in stores.orders().of_day()] == [OrderStatus.COOKING]
    stores.OrderStore(stores.orders().file.path.parent).change_status(order_id, OrderStatus.ON_THE_WAY, "Luis")  # another process
    assert [o.status for o in stores.orders().of_day()] == [OrderStatus.ON_THE_WAY]
