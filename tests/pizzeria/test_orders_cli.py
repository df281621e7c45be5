"""`python -m tools.pizzeria.orders`: list, show (decrypted) and status through the board's own store method."""

from __future__ import annotations

import pytest

from tools.pizzeria import orders, stores
from tools.pizzeria.stores import OrderStatus

LINE = {"item_id": "fugazzeta", "name": "Fugazzeta", "size": "chica", "size_label": "chica (4 porciones)",
        "quantity": 2, "unit_price": 7000, "subtotal": 14000}


def _order(key: str, name: str = "Ana") -> int:
    saved, _ = stores.orders().save_once(key, {"user_id": "5491100000001", "customer_name": name, "items": [LINE],
                                                "total": 14000, "address": "Lavalle 900", "channel": "whatsapp",
                                                "payment_method": "efectivo"})
    return saved.order_id


def test_list_show_and_status(capsys: pytest.CaptureFixture[str]) -> None:
    first, second = _order("a"), _order("b", "Luis")
    assert orders.main(["list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == [f"#{first}", f"#{second}"] and "$14.000" in listed[0]
    assert orders.main(["status", str(first), "preparacion", "--by", "Caja"]) == 0
    assert "en preparación" in capsys.readouterr().out
    assert orders.main(["status", str(first), "en_preparacion"]) == 0
    assert "Sin cambios" in capsys.readouterr().out
    assert orders.main(["show", str(first)]) == 0
    shown = capsys.readouterr().out
    assert "Lavalle 900" in shown and "5491100000001" in shown and "efectivo" in shown and "(Caja)" in shown
    assert orders.main(["list", "--open"]) == 0 and len(capsys.readouterr().out.splitlines()) == 2
    assert orders.main(["status", str(second), "cancelado", "--reason", "Sin stock"]) == 0
    order = stores.orders().get(second)
    assert order and order.status == OrderStatus.CANCELLED and order.status_changes[-1].reason == "Sin stock"


@pytest.mark.parametrize(("argv", "words"), [
    (["status", "{id}", "camino"], "el paso siguiente es en preparación"),
    (["status", "{id}", "cancelado"], "motivo"),
    (["status", "{id}", "volando"], "Estado desconocido"),
    (["status", "4040", "preparacion"], "No hay un pedido #4040"),
    (["show", "4040"], "No hay un pedido #4040"),
])
def test_refusals_are_explained_in_spanish(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    order_id = _order("c")
    assert orders.main([a.format(id=order_id) for a in argv]) == 1
    assert words in capsys.readouterr().err
    order = stores.orders().get(order_id)
    assert order and order.status == OrderStatus.RECEIVED
