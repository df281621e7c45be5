"""Order arithmetic properties: totals are always the sum of menu-priced lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tools.pizzeria import order as order_math
from tools.pizzeria.menu import load_menu
from tools.pizzeria.order import Order
from tools.pizzeria.resolver import Line

MENU = load_menu()
LINES = st.sampled_from([(i.id, s) for i in MENU.items for s in i.prices]).flatmap(
    lambda key: st.integers(1, 30).map(lambda q: Line(item_id=key[0], size=key[1], quantity=q))
)


def _check(order: Order) -> None:
    assert order.total == sum(l.subtotal for l in order.items) >= 0
    for line in order.items:
        assert line.unit_price == MENU.item(line.item_id).prices[line.size]
        assert line.subtotal == line.unit_price * line.quantity and line.quantity >= 1
    assert len({(l.item_id, l.size) for l in order.items}) == len(order.items), "same item and size merge"


@settings(max_examples=200, deadline=None)
@given(st.lists(LINES, max_size=12))
def test_adding_lines_prices_from_the_menu(lines: list[Line]) -> None:
    order = order_math.add(Order(), lines, MENU)
    _check(order)
    assert sum(l.quantity for l in order.items) == sum(l.quantity for l in lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=8), st.data())
def test_removing_and_changing_keep_the_invariants(lines: list[Line], data: st.DataObject) -> None:
    order = order_math.add(Order(), lines, MENU)
    target = data.draw(st.sampled_from(order.items))
    fewer = order_math.remove(order, target.item_id, None, data.draw(st.none() | st.integers(1, 40)), MENU)
    _check(fewer)
    assert fewer.total <= order.total
    size = data.draw(st.sampled_from(list(MENU.item(target.item_id).prices)))
    changed = order_math.change(order, target.item_id, size, None, MENU)
    _check(changed)
    moved = sum(l.quantity for l in order.items if l.item_id == target.item_id)
    assert [(l.size, l.quantity) for l in changed.items if l.item_id == target.item_id] == [(size, moved)]


@given(st.lists(LINES, max_size=6))
def test_state_round_trip_reprices_and_ignores_a_forged_total(lines: list[Line]) -> None:
    order = order_math.add(Order(), lines, MENU)
    forged = order.to_state() | {"total": 1}
    for item in forged["items"]:
        item["unit_price"] = 1
    assert Order.from_state(forged, MENU) == order
