"""The pizzeria's orders from a terminal: `python -m tools.pizzeria.orders list | show N | status N ESTADO`.

For a pizzeria without a browser at hand. It reads and writes the same `pedidos.json`
through the same store method as the kitchen board (`OrderStore.change_status`: same
transitions, same exactly-once, same history). It never talks to the customer itself:
the running service notices the file changed and sends the customer each new status
(within a few seconds), exactly as for a change made on the board.

    python -m tools.pizzeria.orders list              # the service day's orders (06:00 to 06:00)
    python -m tools.pizzeria.orders list --all        # every order on file
    python -m tools.pizzeria.orders show 1001         # one order, decrypted, with its history
    python -m tools.pizzeria.orders status 1001 preparacion --by Carlos
    python -m tools.pizzeria.orders status 1001 cancelado --reason "Sin stock"
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from tools.jsonstore import StoreError
from tools.pizzeria import stores
from tools.pizzeria.menu import format_price
from tools.pizzeria.stores import OrderStatus, SavedOrder, StatusRefused, local_time
from tools.text import normalize

_ALIASES = {
    "recibido": OrderStatus.RECEIVED,
    "preparacion": OrderStatus.COOKING, "en preparacion": OrderStatus.COOKING, "cocina": OrderStatus.COOKING,
    "camino": OrderStatus.ON_THE_WAY, "en camino": OrderStatus.ON_THE_WAY, "salio": OrderStatus.ON_THE_WAY,
    "entregado": OrderStatus.DELIVERED,
    "cancelado": OrderStatus.CANCELLED, "cancelar": OrderStatus.CANCELLED,
}


def parse_status(text: str) -> OrderStatus:
    """"preparacion", "en_camino", "En camino" -> the status; ValueError (Spanish) otherwise."""
    status = _ALIASES.get(normalize(text.replace("_", " ")).strip())
    if status is None:
        raise ValueError(f"Estado desconocido: {text!r}. Usá: {', '.join(s.value for s in OrderStatus)}.")
    return status


def _clock(moment: str) -> str:
    return local_time(moment).strftime("%H:%M")


def _lines(order: SavedOrder) -> str:
    return ", ".join(f"{i['quantity']} x {i['name']}" for i in order.items)


def row(order: SavedOrder) -> str:
    """One order in one line of `list`."""
    name = (order.customer_name or "sin nombre")[:16]
    return (f"#{order.order_id}  {_clock(order.created_at)}  {order.status:<15} {name:<16} "
            f"{format_price(order.total):>9}  {_lines(order)[:60]}")


def details(order: SavedOrder) -> str:
    """Everything about one order (decrypted), for `show`."""
    lines = [
        f"Pedido #{order.order_id} · {local_time(order.created_at):%d/%m %H:%M} · {order.status}",
        f"Cliente: {order.customer_name or 'sin nombre'} ({order.channel or 'sin canal'}, {order.user_id})",
        f"Dirección: {order.address}",
        *(f"  {i['quantity']} x {i['name']} {i['size_label'].split(' (')[0]}" + (f" ({i['note']})" if i.get("note") else "")
          + f": {format_price(i['subtotal'])}" for i in order.items),
        *([f"  Envío {order.zone}: {format_price(order.delivery_fee)}"] if order.delivery_fee else []),
        f"Total: {format_price(order.total)}" + (f" · Pago: {order.payment_method}" if order.payment_method else ""),
        "Historial:",
        *(f"  {_clock(c.at)} {c.status} ({c.by}){': ' + c.reason if c.reason else ''}" for c in order.status_changes),
    ]
    return "\n".join(lines)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "terminal"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pizzeria.orders", description="Pedidos de la pizzería.")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="los pedidos del día (de 06:00 a 06:00)")
    listing.add_argument("--all", action="store_true", help="todos los pedidos guardados")
    listing.add_argument("--open", action="store_true", help="solo los que no están entregados ni cancelados")
    show = commands.add_parser("show", help="un pedido completo, con su historial")
    show.add_argument("order_id", type=int)
    status = commands.add_parser("status", help="cambiar el estado de un pedido")
    status.add_argument("order_id", type=int)
    status.add_argument("status", help="preparacion, camino, entregado o cancelado")
    status.add_argument("--by", default=None, help="quién lo cambia (por defecto, el usuario del sistema)")
    status.add_argument("--reason", default=None, help="el motivo (obligatorio para cancelar)")
    args = parser.parse_args(argv)
    store = stores.orders()
    try:
        if args.command == "list":
            found = store.all() if args.all else store.of_day()
            found = [o for o in found if o.is_open] if args.open else found
            print("\n".join(row(o) for o in found) if found else "No hay pedidos.")
        elif args.command == "show":
            order = store.get(args.order_id)
            if order is None:
                print(f"No hay un pedido #{args.order_id}.", file=sys.stderr)
                return 1
            print(details(order))
        else:
            wanted = parse_status(args.status)
            order, change = store.change_status(args.order_id, wanted, args.by or _user(), args.reason)
            if change is None:
                print(f"Sin cambios: el pedido #{order.order_id} ya pasó por {wanted} (ahora: {order.status}).")
            else:
                tail = "El servicio le avisa al cliente en unos segundos." if order.channel else "Sin canal: no hay a quién avisar."
                print(f"Pedido #{order.order_id}: {order.status}. {tail}")
    except (StatusRefused, ValueError) as refused:
        print(str(refused), file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"No pude leer o guardar los pedidos: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
