"""Edits code makes to the order from a `Reading`: add, remove, change, swap, undo.

`apply_reading(state, reading)` returns an `Outcome` (the new order and the one before it,
for undo, and what to tell the customer) or None when the words do not settle the edit and
the model should read them. An edit that does not name the item is about the line touched
last, or the only one. Nothing is reported as done unless the order changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.pizzeria import details, replies
from tools.pizzeria import order as order_math
from tools.pizzeria.menu import Menu, load_menu
from tools.pizzeria.notes import find_notes
from tools.pizzeria.operations import Outcome, current_order
from tools.pizzeria.order import Order, OrderLine
from tools.pizzeria.quantities import ResolveError, check_quantity
from tools.pizzeria.reading import INSTEAD, Kind, Reading, replacement_item
from tools.pizzeria.resolver import Line, Mention, resolve_line, resolve_size
from tools.pizzeria.state import PizzeriaState


def added_words(lines: list[Line], menu: Menu) -> list[str]:
    """"2 x Muzzarella grande" for each line added (a half-and-half or a note as the summary shows it)."""
    return [order_math.priced([l], menu).items[0].describe() if l.halves or l.note else
            f"{l.quantity} x {menu.item(l.item_id).name} {menu.size_label(menu.item(l.item_id), l.size).split(' (')[0]}"
            for l in lines]


def last_touched(order: Order, before: Order | None) -> OrderLine | None:
    """The line the customer's last edit touched (new or changed), else the last one."""
    old = {(l.item_id, l.size, l.quantity) for l in (before.items if before else [])}
    changed = [l for l in order.items if (l.item_id, l.size, l.quantity) not in old]
    return (changed or order.items or [None])[-1]


def apply_reading(state: Mapping[str, Any], reading: Reading) -> Outcome | None:
    menu = load_menu()
    st = PizzeriaState.of(state)
    order = current_order(state)
    before = Order.from_state(st.previous_order, menu) if st.previous_order else None
    try:
        match reading.kind:
            case Kind.UNDO:
                if before is None:
                    return Outcome(ok=False, message=replies.nothing_to_undo())
                return _done(order, before, replies.undone(before.one_line()), menu)
            case Kind.ADD if reading.complete:
                return _add(order, reading, menu)
            case Kind.REMOVE:
                return _remove(order, before, reading, menu)
            case Kind.CHANGE:
                return _change(order, before, reading, menu)
            case Kind.SWAP:
                return _swap(order, before, reading, menu)
    except ResolveError as exc:
        return Outcome(ok=False, message=f"{exc} {replies.your_order(order.one_line())}")
    return None


def _add(order: Order, reading: Reading, menu: Menu) -> Outcome:
    """Every item read is added; one that cannot be (no size, "media muzza") is asked about, the rest kept."""
    if _notes_on_ordered(order, reading, menu):  # "ah, la calabresa sin aceitunas"
        new = order_math.priced(details.with_notes(order.lines(), reading.text_raw, menu), menu)
        return _done(order, new, replies.noted(", ".join(n for _, n in find_notes(reading.text_raw, menu))), menu)
    if details.has_details(reading.text_raw, menu):  # "mitad fuga mitad calabresa", "sin aceitunas": the add tool's reader
        try:
            lines = details.resolve(reading.text_raw, None, None, menu)
        except ResolveError as exc:
            return Outcome(ok=False, message=f"{exc} {replies.your_order(order.one_line())}")
        return _done(order, order_math.add(order, lines, menu), replies.added(added_words(lines, menu)), menu)
    lines: list[Line] = []
    errors: list[str] = []
    for mention in reading.mentions:
        item = menu.item(mention.item_id)
        try:
            if mention.problem:
                raise ResolveError(replies.item_problem(item.name, mention.problem))
            size = menu.size_label(item, mention.size) if mention.size else None
            lines += resolve_line(item.name, 1 if mention.quantity is None else mention.quantity, size, menu)
        except ResolveError as exc:
            errors.append(str(exc))
    if not lines:
        return Outcome(ok=False, message=f"{' '.join(errors)} {replies.your_order(order.one_line())}")
    return _done(order, order_math.add(order, lines, menu), " ".join([replies.added(added_words(lines, menu)), *errors]), menu)


def _notes_on_ordered(order: Order, reading: Reading, menu: Menu) -> bool:
    """Notes about items already ordered, named without a count ("la calabresa", not "una calabresa")."""
    ordered = {l.item_id for l in order.items}
    return (bool(find_notes(reading.text_raw, menu)) and bool(reading.mentions)
            and all(m.quantity is None and m.size is None and m.item_id in ordered for m in reading.mentions))


def _done(order: Order, new: Order, message: str, menu: Menu) -> Outcome:
    followup = replies.total_line(new.total) if not new.is_empty else replies.order_now_empty()
    return Outcome(ok=True, message=f"{message} {followup}",
                   delta=PizzeriaState.delta(current_order=new.to_state(), previous_order=order.to_state()))


def _in_order(order: Order, mention: Mention, menu: Menu) -> None:
    if not any(l.item_id == mention.item_id for l in order.items):
        raise ResolveError(replies.not_in_order(menu.item(mention.item_id).name))


def _remove(order: Order, before: Order | None, reading: Reading, menu: Menu) -> Outcome | None:
    if reading.mentions:
        new = order
        for mention in reading.mentions:
            _in_order(order, mention, menu)
            if mention.problem:  # "sacá media fugazzeta"
                raise ResolveError(replies.item_problem(menu.item(mention.item_id).name, mention.problem))
            quantity = check_quantity(mention.quantity) if mention.quantity is not None else None  # "sacá -2 muzzas"
            new = order_math.remove(new, mention.item_id, mention.size, quantity, menu)
        names = ", ".join(dict.fromkeys(menu.item(m.item_id).name for m in reading.mentions))
        return _done(order, new, replies.removed(names), menu)
    if not reading.complete:  # "sacá algo para la juntada": which line is not settled by the words
        return None
    sized = [l for l in order.items if reading.of_lines and l.quantity == reading.of_lines]
    target = sized[0] if len(sized) == 1 else last_touched(order, before)
    if target is None:
        return None
    quantity = reading.quantity if reading.quantity is not None and reading.quantity < target.quantity else None
    new = order_math.remove(order, target.item_id, target.size, quantity, menu)
    return _done(order, new, replies.removed(target.name), menu)


def _change(order: Order, before: Order | None, reading: Reading, menu: Menu) -> Outcome | None:
    if reading.mentions:
        mention = reading.mentions[0]
        _in_order(order, mention, menu)
        item = menu.item(mention.item_id)
        size = mention.size or resolve_size(item, reading.text, menu)
        quantity = mention.quantity if mention.quantity is not None else reading.quantity
    else:
        target = last_touched(order, before)
        if target is None:
            return None
        item = menu.item(target.item_id)
        size = next((s for w in reading.sizes if (s := resolve_size(item, w, menu))), None)
        if reading.sizes and size is None:
            raise ResolveError(replies.size_not_offered(item.name))
        quantity = reading.quantity
    if size is None and quantity is None:
        return None
    new = order_math.change(order, item.id, size, check_quantity(quantity) if quantity is not None else None, menu)
    if new.lines() == order.lines():
        return Outcome(ok=True, message=f"{replies.unchanged(item.name)} {replies.total_line(order.total)}")
    return _done(order, new, replies.changed(item.name), menu)


def _swap(order: Order, before: Order | None, reading: Reading, menu: Menu) -> Outcome | None:
    mentions = reading.mentions
    instead = INSTEAD.search(reading.text)
    if reading.replaces_last:  # "cambiala por una calabresa"
        target = last_touched(order, before)
        if target is None:
            return None
        old, new_mention = Mention(target.item_id, target.size, None, 0), mentions[0]
    elif len(mentions) == 2 and instead is not None:
        at = len(reading.text[:instead.end()].split())
        old, new_mention = (mentions[1], mentions[0]) if mentions[1].start >= at > mentions[0].start else tuple(mentions)
    else:
        old, new_mention = mentions[0], (mentions[1] if len(mentions) > 1 else None)
    _in_order(order, old, menu)
    old_item = menu.item(old.item_id)
    new_item = menu.item(new_mention.item_id) if new_mention else replacement_item(reading.replacement, old_item, menu)
    if new_item is None:
        return None
    old_lines = [l for l in order.items if l.item_id == old.item_id and (old.size is None or l.size == old.size)]
    removed_qty = sum(l.quantity for l in old_lines)
    quantity = removed_qty if reading.replaces_last else (new_mention.quantity if new_mention else None) or removed_qty
    size = (new_mention.size if new_mention else None) or (old_lines[0].size if old_lines[0].size in new_item.prices else None)
    lines = resolve_line(new_item.name, quantity, size, menu)
    kept = order_math.remove(order, old.item_id, old.size, None, menu)
    new = order_math.add(kept, lines, menu)
    return _done(order, new, replies.swapped(old_item.name, ", ".join(added_words(lines, menu))), menu)
