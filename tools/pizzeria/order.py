"""Order arithmetic: lines priced from the menu, totals recomputed, never taken from input."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from tools.pizzeria import replies
from tools.pizzeria.menu import Menu, format_price
from tools.pizzeria.quantities import ResolveError
from tools.pizzeria.resolver import Line


class OrderLine(BaseModel):
    item_id: str
    name: str
    size: str
    size_label: str
    quantity: int
    unit_price: int
    subtotal: int
    halves: list[str] | None = None
    note: str | None = None

    def describe(self) -> str:
        size = f" {self.size_label.split(' (')[0]}" if self.size_label not in ("porción", "unidad") else ""
        note = f" ({self.note})" if self.note else ""
        return f"{self.quantity} x {self.name}{size}{note}"


class Order(BaseModel):
    """The `current_order` session-state value: {"items": [...], "total": int ARS}."""

    items: list[OrderLine] = Field(default_factory=list)
    total: int = 0

    @classmethod
    def from_state(cls, value: Any, menu: Menu) -> Order:
        """Rebuild from state, re-pricing every line from the menu (state is not trusted).

        A line whose item or size is no longer on the menu (the menu changed while the
        conversation was open) is dropped rather than failing every later turn.
        """
        on_menu = {(item.id, size) for item in menu.items for size in item.prices}
        lines = [Line(item_id=i["item_id"], size=i["size"], quantity=i["quantity"], halves=i.get("halves"), note=i.get("note"))
                 for i in (value or {}).get("items", [])]
        return priced([line for line in lines
                       if all((item_id, line.size) in on_menu for item_id in line.halves or [line.item_id])], menu)

    def to_state(self) -> dict[str, Any]:
        return self.model_dump()

    @property
    def is_empty(self) -> bool:
        return not self.items

    def lines(self) -> list[Line]:
        return [Line(item_id=i.item_id, size=i.size, quantity=i.quantity, halves=i.halves, note=i.note) for i in self.items]

    def render(self) -> str:
        """The Spanish summary the customer reads (`replies.order_summary`)."""
        return replies.order_summary(self)

    def one_line(self) -> str:
        """Compact form for model instructions: "2 x Muzzarella grande; 1 x Flan (total $31.300)"."""
        if not self.items:
            return "vacío"
        return "; ".join(line.describe() for line in self.items) + f" (total {format_price(self.total)})"


def priced(lines: list[Line], menu: Menu) -> Order:
    """Merge lines of the same item, size, halves and note, price them from the menu, sum the total.

    A half-and-half is priced as its dearer half, the Argentine custom.
    """
    merged: dict[tuple[str, str, tuple[str, ...], str | None], int] = {}
    for line in lines:
        key = (line.item_id, line.size, tuple(line.halves or ()), line.note)
        merged[key] = merged.get(key, 0) + line.quantity
    items = []
    for (item_id, size, halves, note), quantity in merged.items():
        if quantity <= 0:
            continue
        item = menu.item(item_id)
        unit = max(menu.item(h).prices[size] for h in halves) if halves else item.prices[size]
        name = replies.half_and_half(*(menu.item(h).name for h in halves)) if halves else item.name
        items.append(
            OrderLine(
                item_id=item_id, name=name, size=size, size_label=menu.size_label(item, size),
                quantity=quantity, unit_price=unit, subtotal=unit * quantity, halves=list(halves) or None, note=note,
            )
        )
    return Order(items=items, total=sum(i.subtotal for i in items))


def add(order: Order, new: list[Line], menu: Menu) -> Order:
    return priced(order.lines() + new, menu)


def remove(order: Order, item_id: str, size: str | None, quantity: int | None, menu: Menu) -> Order:
    """Remove `quantity` units (all when None) of an item, in one size or any."""
    lines = order.lines()
    if not any(l.item_id == item_id and (size is None or l.size == size) for l in lines):
        raise ResolveError(replies.not_in_order(menu.item(item_id).name))
    remaining = quantity
    kept = []
    for line in lines:
        if line.item_id == item_id and (size is None or line.size == size) and (remaining is None or remaining > 0):
            take = line.quantity if remaining is None else min(remaining, line.quantity)
            remaining = None if remaining is None else remaining - take
            line = line.model_copy(update={"quantity": line.quantity - take})
        kept.append(line)
    return priced(kept, menu)


def change(order: Order, item_id: str, size: str | None, quantity: int | None, menu: Menu) -> Order:
    """Set the size and/or quantity of an item already in the order (its lines become one)."""
    lines = order.lines()
    matching = [l for l in lines if l.item_id == item_id]
    if not matching:
        raise ResolveError(replies.not_in_order(menu.item(item_id).name))
    if size is not None and size not in menu.item(item_id).prices:
        raise ResolveError(replies.size_not_offered(menu.item(item_id).name))
    merged = Line(
        item_id=item_id,
        size=size or matching[0].size,
        quantity=quantity or sum(l.quantity for l in matching),
        halves=matching[0].halves,
        note=matching[0].note,
    )
    first = lines.index(matching[0])
    others = [l for l in lines if l.item_id != item_id]
    return priced(others[:first] + [merged] + others[first:], menu)
