"""Order editing and confirmation tools. Prices and totals always come from the menu."""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools.pizzeria import details, operations, replies
from tools.pizzeria import order as order_math
from tools.pizzeria.edits import added_words
from tools.pizzeria.menu import load_menu
from tools.pizzeria.quantities import ResolveError, check_quantity, parse_quantity
from tools.pizzeria.resolver import (
    Line,
    Mention,
    find_mentions,
    resolve_size,
    unknown_item_message,
)
from tools.pizzeria.state import PizzeriaState
from tools.pizzeria.turn import apply, finish, not_yet_added


def _as_requests(item: Any, quantity: Any, size: Any) -> list[tuple[Any, Any, Any]]:
    """Accept one item, a list of names, or a list of {item, quantity, size} dicts."""
    if isinstance(item, list):
        requests = []
        for entry in item:
            if isinstance(entry, dict):
                requests.append((entry.get("item") or entry.get("name"), entry.get("quantity"), entry.get("size")))
            else:
                requests.append((entry, None, None))
        return requests
    return [(item, quantity, size)]


def _target(item: Any) -> Mention:
    """The one item a remove/change call is about, with any size or quantity written with it."""
    mentions = find_mentions(str(item or ""))
    if not mentions:
        raise ResolveError(unknown_item_message(str(item or "")))
    return mentions[0]


_BEFORE = "temp:order_kept_before"


def _save(ctx: ToolContext, order: order_math.Order) -> None:
    """Write the order; the order as this turn found it is kept once, for "dejala como estaba"."""
    if ctx.state.get(_BEFORE) != ctx.invocation_id:
        ctx.state[_BEFORE] = ctx.invocation_id
        apply(ctx, PizzeriaState.delta(previous_order=ctx.state.get("current_order")))
    apply(ctx, PizzeriaState.delta(current_order=order.to_state()))


def _total_line(order: order_math.Order) -> str:
    return replies.total_line(order.total)


def add_item_to_order(
    item: str, tool_context: ToolContext, quantity: int | None = None, size: str = ""
) -> dict[str, Any]:
    """Agrega productos al pedido. Llamala una vez por producto, o pasá varios en `item`.

    Args:
      item: el producto como lo dijo el cliente, por ejemplo "muzza", "empanada de carne", "coca".
      quantity: cuántas unidades (por defecto 1).
      size: tamaño si lo dijo: "chica", "mediana", "grande", "docena", "1,5 L"...
    """
    menu = load_menu()
    order = operations.current_order(tool_context.state)
    added: list[Line] = []
    errors: list[str] = []
    attempted: set[str] = set()  # items answered, added or with an error the customer sees
    for name, qty, sz in _as_requests(item, quantity, size):
        attempted |= {m.item_id for m in find_mentions(str(name or ""), menu)}
        try:
            added += details.resolve(name, qty, sz, menu)  # with half-and-half and line notes
        except ResolveError as exc:
            errors.append(str(exc))
    added, repeated = not_yet_added(tool_context, added)
    order = order_math.add(order, added, menu)
    _save(tool_context, order)
    done = added_words(added, menu)
    again = replies.already_added() if repeated and not added else ""
    parts = [replies.added(done) if done else again, *errors]
    result = {"ok": not errors, "message": " ".join(p for p in parts if p), "order": order.one_line()}
    if done:
        result["followup"] = _total_line(order)
    return finish(tool_context, attempted, result)


def remove_item_from_order(
    item: str, tool_context: ToolContext, quantity: int | None = None, size: str = ""
) -> dict[str, Any]:
    """Saca un producto del pedido (todas sus unidades, o solo `quantity`).

    Args:
      item: el producto a sacar, por ejemplo "fugazzeta".
      quantity: cuántas sacar; vacío para sacarlas todas.
      size: opcional, el tamaño a sacar si hay varios.
    """
    menu = load_menu()
    order = operations.current_order(tool_context.state)
    try:
        target = _target(item)
        if target.problem:
            raise ResolveError(target.problem)
        qty = parse_quantity(quantity)
        qty = target.quantity if qty is None else qty
        if qty is not None and qty < 1:
            raise ResolveError(replies.REMOVE_AT_LEAST_ONE)
        chosen_size = (resolve_size(menu.item(target.item_id), size, menu) if size else None) or target.size
        order = order_math.remove(order, target.item_id, chosen_size, qty, menu)
    except ResolveError as exc:
        return finish(tool_context, set(), {"ok": False, "message": f"{exc} {replies.your_order(order.one_line())}"})
    _save(tool_context, order)
    followup = _total_line(order) if not order.is_empty else replies.order_now_empty()
    result = {"ok": True, "message": replies.removed(menu.item(target.item_id).name), "followup": followup, "order": order.one_line()}
    return finish(tool_context, {target.item_id}, result)


def change_item(item: str, tool_context: ToolContext, size: str = "", quantity: int | None = None) -> dict[str, Any]:
    """Cambia el tamaño o la cantidad de un producto que ya está en el pedido.

    Args:
      item: el producto a cambiar, por ejemplo "muzza".
      size: el nuevo tamaño, si cambia.
      quantity: la nueva cantidad total, si cambia.
    """
    menu = load_menu()
    order = operations.current_order(tool_context.state)
    try:
        target = _target(item)
        product = menu.item(target.item_id)
        new_size = (resolve_size(product, size, menu) if size else None) or target.size
        if size and new_size is None:
            raise ResolveError(f"{product.name} viene en: {', '.join(menu.size_label(product, s) for s in product.prices)}.")
        new_qty = parse_quantity(quantity) or None
        if new_qty is not None:
            new_qty = check_quantity(new_qty)
        changed = order_math.change(order, target.item_id, new_size, new_qty, menu)
    except ResolveError as exc:
        return finish(tool_context, set(), {"ok": False, "message": f"{exc} {replies.your_order(order.one_line())}"})
    if changed.lines() == order.lines():  # a tool never reports a change it did not make
        return finish(tool_context, {target.item_id}, {"ok": True, "message": replies.unchanged(product.name),
                                                       "followup": _total_line(order), "order": order.one_line()})
    order = changed
    _save(tool_context, order)
    result = {"ok": True, "message": replies.changed(product.name), "followup": _total_line(order), "order": order.one_line()}
    return finish(tool_context, {target.item_id}, result)


def get_current_order(tool_context: ToolContext) -> dict[str, Any]:
    """Devuelve el pedido actual con precios y total."""
    order = operations.current_order(tool_context.state)
    return {"ok": True, "order": order.render(), "total": order.total, "empty": order.is_empty}


def confirm_order(tool_context: ToolContext) -> dict[str, Any]:
    """Confirma el pedido. Usala solo cuando el cliente dijo que sí, que está bien."""
    outcome = operations.confirm(tool_context.state)
    apply(tool_context, outcome.delta)
    tool_context.actions.skip_summarization = True
    return outcome.result()


def request_changes(tool_context: ToolContext) -> dict[str, Any]:
    """Vuelve a la toma del pedido porque el cliente quiere cambiar o agregar algo."""
    apply(tool_context, PizzeriaState.delta(changes_requested=True, order_confirmed=False))
    tool_context.actions.skip_summarization = True
    return {"ok": True, "message": replies.what_to_change()}
