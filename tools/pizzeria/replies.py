"""Everything the pizzeria's customer reads that code writes: the bot's voice, in one file.

The coordinator's fixed replies, the tools' messages and the resolver's questions are
named functions here, so the owner can change the wording without reading the rest.
What the model says is its own; what both agents say when the model fails is in
`tools/llm/replies.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.pizzeria.menu import format_price, load_menu

if TYPE_CHECKING:
    from tools.pizzeria.order import Order

# --------------------------------------------------------------------------- greeting and name


def welcome() -> str:
    return f"¡Hola! Bienvenido a {load_menu().pizzeria} 🍕"


def welcome_new() -> str:
    return f"{welcome()} ¿Cómo es tu nombre?"


def welcome_back(name: str) -> str:
    return f"¡Hola {first(name)}! Qué bueno verte de nuevo. ¿Qué te preparamos hoy?"


def hello_again(name: str | None) -> str:
    return f"¡Hola{' ' + first(name) if name else ''}! ¿Qué te gustaría pedir?"


def hello(name: str) -> str:
    """Said in front of the answer when a known customer starts with an order or a question."""
    return f"¡Hola {first(name)}!"


def first(name: str | None) -> str:
    return (name or "").split()[0] if name else ""


def name_not_understood() -> str:
    return "No entendí tu nombre. ¿Me lo escribís de nuevo? Por ejemplo: «Ana»."


def thanks(name: str) -> str:
    return f"¡Gracias, {first(name)}!"


def thanks_for_name(name: str, ordering: bool) -> str:
    return f"¡Gracias, {first(name)}! " + ("¿Algo más?" if ordering else "¿Qué te gustaría pedir?")


def empty_message() -> str:
    return "No me llegó ningún texto. ¿Qué te gustaría pedir?"


# --------------------------------------------------------------------------- the order


def added(lines: list[str]) -> str:
    return f"Agregué {', '.join(lines)}."


def half_and_half(first_half: str, second_half: str) -> str:
    return f"Mitad {first_half} y mitad {second_half}"


def already_added() -> str:
    return "Eso ya lo agregué."


def noted(notes: str) -> str:
    return f"Anotado: {notes}."


def removed(name: str) -> str:
    return f"Listo, saqué {name}."


def changed(name: str) -> str:
    return f"Listo, cambié {name}."


def swapped(old: str, new: str) -> str:
    return f"Listo, cambié {old} por {new}."


def unchanged(name: str) -> str:
    return f"{name} ya estaba así."


def undone(one_line: str) -> str:
    return f"Listo, lo dejé como estaba: {one_line}."


def nothing_to_undo() -> str:
    return "No hay ningún cambio para deshacer."


def address_kept(address: str) -> str:
    return f"Anotada la dirección: {address}. Te la confirmo al cerrar el pedido."


def total_line(total: int) -> str:
    return f"Total: {format_price(total)}. ¿Algo más?"


def order_now_empty() -> str:
    return "Tu pedido quedó vacío. ¿Qué te gustaría pedir?"


def your_order(one_line: str) -> str:
    """Appended to a tool's error, so the customer sees what the order holds."""
    return f"Tu pedido: {one_line}."


def not_in_order(name: str) -> str:
    return f"No tenés {name} en el pedido."


def size_not_offered(name: str) -> str:
    return f"{name} no viene en ese tamaño."


def sizes_offered(name: str, sizes: str) -> str:
    return f"{name} viene en: {sizes}. ¿Cuál querés?"


def which_size(name: str, sizes: str) -> str:
    return f"¿De qué tamaño querés {name}? Tenemos {sizes}."


def unknown_item(shown: str, options: list[str]) -> str:
    prefix = f"No tenemos «{shown}»." if shown else "No entendí qué producto querés."
    return f"{prefix} Opciones: {', '.join(options)}."


def item_problem(name: str, problem: str) -> str:
    return f"{name}: {problem}"


NOT_WHOLE = "Las cantidades van en unidades enteras, por ejemplo 1 o 2."
UNREADABLE_QUANTITY = "No entendí la cantidad. Decime un número, por ejemplo 2."
QUANTITY_AT_LEAST_ONE = "La cantidad tiene que ser al menos 1."
REMOVE_AT_LEAST_ONE = "La cantidad a sacar tiene que ser al menos 1."


def too_many(limit: int) -> str:
    return f"Por chat tomamos hasta {limit} unidades de cada cosa. Para pedidos más grandes llamanos por teléfono."


def order_summary(order: Order) -> str:
    """The order, one line per item, and the total."""
    if not order.items:
        return "Tu pedido está vacío."
    body = "\n".join(f"• {line.describe()}: {format_price(line.subtotal)}" for line in order.items)
    return f"{body}\nTotal: {format_price(order.total)}"


def summary(order: Order) -> str:
    return f"Este es tu pedido:\n{order.render()}\n¿Lo confirmás? Respondé «sí» o decime qué querés cambiar."


def empty_order() -> str:
    return "Todavía no pediste nada. ¿Qué te gustaría pedir? Si querés, te paso el menú."


def what_to_change() -> str:
    return "Dale, ¿qué querés cambiar o agregar?"


def cancelled() -> str:
    return "Listo, cancelé el pedido. Cuando quieras empezamos de nuevo: decime qué te gustaría pedir."


# --------------------------------------------------------------------------- confirmation, address, saving


def nothing_to_confirm() -> str:
    return "Tu pedido está vacío. ¿Qué te gustaría pedir?"


def confirmed() -> str:
    return "¡Pedido confirmado!"


def ask_address(saved_address: str | None) -> str:
    if saved_address:
        return f"¡Genial! ¿Te lo mandamos a {saved_address}? Si es otra dirección, escribímela."
    return "¡Genial! ¿A qué dirección te lo mandamos? Calle, altura y piso/depto si hay."


def address_needed() -> str:
    return "Necesito la calle y la altura para el envío, por ejemplo «Av. Corrientes 1234, 5° B»."


def address_noted(address: str) -> str:
    return f"Anoté la dirección: {address}."


def nothing_to_save() -> str:
    return "No hay nada en el pedido para guardar."


def confirm_first() -> str:
    return "Falta que confirmes el pedido antes de guardarlo."


def address_missing() -> str:
    return "Falta la dirección de entrega."


def order_saved(order_id: int, total: int, eta: str, payment: str | None, alias: str | None) -> str:
    paying = f" Pagás con {payment}" + (f" (alias {alias})" if alias else "") + "." if payment else ""
    return f"¡Listo! Tu pedido #{order_id} por {format_price(total)} ya está en camino a la cocina. Llega en {eta}.{paying} ¡Gracias!"


STORE_DOWN = "Perdón, tuve un problema guardando los datos. Probá de nuevo en un momento; no perdiste nada."


# --------------------------------------------------------------------------- the order's status, as the kitchen moves it

_STATUS_NOTICES = {
    "en preparación": "👨‍🍳 Tu pedido #{order_id} ya está en preparación.",
    "en camino": "🛵 ¡Tu pedido #{order_id} salió! Ya está en camino.",
    "entregado": "✅ Tu pedido #{order_id} figura como entregado. ¡Que lo disfrutes y gracias por elegirnos!",
    "cancelado": "Lo sentimos: tu pedido #{order_id} fue cancelado ({reason}). Si querés, escribinos y lo resolvemos.",
}


def status_notice(order_id: int, status: str, reason: str | None = None) -> str | None:
    """What the customer is sent when the kitchen moves the order (None: nothing to send, e.g. "recibido")."""
    notice = _STATUS_NOTICES.get(status)
    return notice.format(order_id=order_id, reason=reason or "sin motivo") if notice else None


# --------------------------------------------------------------------------- what a pizzeria is asked (hours, delivery, payment, status)

_WEEKDAYS = ("el lunes", "el martes", "el miércoles", "el jueves", "el viernes", "el sábado", "el domingo")


def when(day_offset: int, weekday: int, clock_time: str) -> str:
    """"hoy a las 19:00", "mañana a las 12:00", "el martes a las 19:00"."""
    day = {0: "hoy", 1: "mañana"}.get(day_offset, _WEEKDAYS[weekday])
    return f"{day} a las {clock_time}"


def open_now(until: str) -> str:
    return f"Estamos abiertos hasta las {until}."


def closed_now(opens: str | None) -> str:
    return f"Ahora estamos cerrados; abrimos {opens}." if opens else "Por ahora no estamos tomando pedidos."


def closed_no_orders(opens: str | None) -> str:
    """An order asked while the pizzeria is closed."""
    return f"{closed_now(opens)} En ese horario te tomo el pedido con gusto. Mientras tanto te paso el menú o los horarios si querés."


DAY_NAMES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def schedule(days: list[list[tuple[str, str]]]) -> str:
    """The week's opening hours, Monday first: "lunes cerrado; martes 19:00 a 23:30; ..."."""
    lines = [f"{name} " + (" y ".join(f"{a} a {b}" for a, b in spans) if spans else "cerrado") for name, spans in zip(DAY_NAMES, days)]
    return "Horarios: " + "; ".join(lines) + "."


def zone_terms(barrio: str, fee: int, minimum: int) -> str:
    return f"Sí, llegamos a {barrio}: el envío sale {format_price(fee)} y el pedido mínimo es {format_price(minimum)}."


def zones(entries: list[tuple[str, int]]) -> str:
    listed = ", ".join(f"{barrio} ({format_price(fee)})" for barrio, fee in entries)
    return f"Hacemos envíos a {listed}. Si tu barrio no está, escribime la dirección y lo vemos."


def payment_accepted(label: str, alias: str | None) -> str:
    tail = f" El alias es {alias}." if alias else ""
    return f"Sí, aceptamos {label}.{tail}"


def payment_methods(labels: list[str]) -> str:
    return f"Podés pagar con {', '.join(labels[:-1])} o {labels[-1]}." if len(labels) > 1 else f"Podés pagar con {labels[0]}."


def eta_general(low: int, high: int) -> str:
    return f"Ahora los pedidos están llegando en {low} a {high} minutos."


def order_status(order_id: int, status: str, eta_from: str, eta_to: str) -> str:
    match status:
        case "recibido":
            return f"Tu pedido #{order_id} ya está en la cocina. Llega entre las {eta_from} y las {eta_to}."
        case "en preparación":
            return f"Tu pedido #{order_id} está en preparación. Llega entre las {eta_from} y las {eta_to}."
        case "en camino":
            return f"¡Tu pedido #{order_id} ya salió! Está en camino; llega antes de las {eta_to}."
        case "entregado":
            return f"Tu pedido #{order_id} figura como entregado. Si no te llegó, avisame y lo vemos."
    return f"Tu pedido #{order_id} fue cancelado. Si querés, escribinos y lo resolvemos."


def order_not_saved_yet() -> str:
    return "Tu pedido todavía no está hecho: cuando lo confirmes y me pases la dirección y el pago, sale para la cocina."


# --------------------------------------------------------------------------- where the order was (after a question, a thanks, a name)


def resume_ordering() -> str:
    return "¿Seguimos con tu pedido? ¿Algo más?"


def item_prices(name: str, sizes: list[tuple[str, str]]) -> str:
    """("Napolitana", [("grande", "$15.500")]) -> "Napolitana grande: $15.500."; several sizes listed."""
    if len(sizes) == 1:
        return f"{name} {sizes[0][0]}: {sizes[0][1]}."
    return f"{name}: " + ", ".join(f"{size} {price}" for size, price in sizes) + "."


def we_have(name: str, description: str, sizes: list[tuple[str, str]]) -> str:
    """"¿tenés pizza de rúcula?" -> "Sí, tenemos Rúcula y jamón crudo (…): chica $12.200, …"."""
    about = f" ({description.rstrip('.')})" if description else ""
    return f"Sí, tenemos {item_prices(name + about, sizes)}"


def resume_confirming() -> str:
    return "¿Confirmás el pedido? Respondé «sí» o decime qué querés cambiar."


def resume_name() -> str:
    return "¿Cómo es tu nombre?"


def resume_start() -> str:
    return "¿Qué te gustaría pedir?"


def farewell(name: str | None, order_id: int | None) -> str:
    who = f", {first(name)}" if name else ""
    if order_id:
        return f"¡Gracias a vos{who}! Tu pedido #{order_id} ya está en la cocina. ¡Que lo disfrutes!"
    return f"¡Gracias a vos{who}! Cuando quieras pedir, acá estoy."


def farewell_pending() -> str:
    """Thanks or a goodbye with an order still open."""
    return "¡De nada! Tu pedido sigue abierto."


def name_noted(name: str) -> str:
    return f"¡Perdón, {first(name)}! Ya lo corregí."


# --------------------------------------------------------------------------- checkout: payment, delivery fee and minimum


def ask_payment(labels: list[str]) -> str:
    return f"¿Cómo vas a pagar? {payment_methods(labels)}"


def delivery_fee(barrio: str, fee: int, total: int) -> str:
    return f"El envío a {barrio} sale {format_price(fee)}: en total son {format_price(total)}."


def below_minimum(barrio: str, minimum: int, total: int) -> str:
    return (f"Para envíos a {barrio} el pedido mínimo es {format_price(minimum)} y el tuyo suma {format_price(total)}. "
            "¿Querés agregar algo?")


def payment_kept(saved_address: str | None) -> str:
    """The payment method given before the address (kept; it is named again when the order is saved)."""
    if saved_address:
        return f"Anotado. ¿Te lo mandamos a {saved_address}? Si es otra dirección, escribímela."
    return "Anotado. ¿A qué dirección te lo mandamos? Calle, altura y piso/depto si hay."


def payment_missing() -> str:
    return "Falta que me digas cómo vas a pagar."


# --------------------------------------------------------------------------- the last order again


def no_previous_order() -> str:
    return "No encontré un pedido anterior tuyo. ¿Qué te gustaría pedir?"


def previous_order_gone() -> str:
    return "Lo que pediste la otra vez ya no está en el menú. ¿Qué te gustaría pedir?"
