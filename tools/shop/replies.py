"""Every Spanish sentence the shop's supervisor, tools and permission checks say to a customer, by name.

The bot's voice lives here and only here (as Rasa keeps its named responses): the tool
modules compute the data and pick a reply; changing a wording means changing this file.
Amounts and dates arrive already formatted ("$1.234.567", "24/11/2026").
"""

from __future__ import annotations

from collections.abc import Sequence

# --------------------------------------------------------------------------- the supervisor

HANDOFF = "Te paso con una persona del equipo, que va a seguir esta conversación por acá. ¡Gracias por la paciencia!"
GREETING = "¡Hola! Soy el asistente de la tienda. Puedo ayudarte con productos, promociones, tu pedido, facturas o soporte técnico. ¿Qué necesitás?"
EMPTY_MESSAGE = "No me llegó ningún texto. ¿En qué te puedo ayudar?"
BACK_FROM_HANDOFF = "Volví yo, el asistente: nadie del equipo pudo responderte todavía, pero tu consulta quedó registrada."


def handoff_wait(minutes: int) -> str:
    """Said after HANDOFF: when the bot takes the conversation back if no person answered."""
    wait = "un minuto" if minutes == 1 else f"{minutes} minutos"
    return f" Si en {wait} nadie te respondió, vuelvo a atenderte yo."


THANKS = "¡De nada! Si necesitás algo más, escribime por acá."
FAREWELL = "¡Gracias por escribirnos! Que tengas un lindo día."
SMALL_TALK = {"greeting": GREETING, "thanks": THANKS, "farewell": FAREWELL}
"""The fixed reply to a message made only of a greeting, thanks or a farewell, by kind."""

# --------------------------------------------------------------------------- labels

ORDER_STATUS_ES = {
    "pending": "pendiente de pago",
    "paid": "pago, en preparación",
    "shipped": "enviado",
    "delivered": "entregado",
    "cancelled": "cancelado",
}

TIER_ES = {"basic": "básico", "premium": "premium", "vip": "VIP"}

GUEST_NAME = "Invitado"
"""The name of the pseudo-customer a session that is not a registered customer gets prices as."""


def order_status(status: str) -> str:
    """An order status as the customer reads it (unknown ones as stored)."""
    return ORDER_STATUS_ES.get(status, status)


def tier_name(tier: str | None) -> str | None:
    """A customer tier as the customer reads it (unknown ones as stored)."""
    return TIER_ES.get(tier or "", tier)


# --------------------------------------------------------------------------- shared by several tools and the permission check

NOT_IDENTIFIED = "No pude identificarte como cliente. Escribinos desde el número o la cuenta registrada en la tienda."
TECHNICAL_PROBLEM = "Tuve un problema técnico al consultar el sistema. Probá de nuevo en unos minutos."
ASK_ORDER_NUMBER = "Decime el número de pedido (7 dígitos, por ejemplo 4581230)."

STAFF_ONLY_REFUSAL = ("Esa consulta es solo para el personal de soporte. Si querés saber de un pedido tuyo, "
                      "decime el número y lo busco entre tus compras.")
NOT_IDENTIFIED_REFUSAL = ("Para eso necesito identificarte como cliente: escribinos desde el número o la cuenta "
                          "registrada en la tienda. Mientras tanto te puedo ayudar con el catálogo, precios de lista y "
                          "la ayuda.")
FORBIDDEN_REFUSAL = "No tenés permiso para usar esa función."
UNAVAILABLE_REFUSAL = "Ahora no puedo verificar tu cuenta. Probá de nuevo en unos minutos."


def order_not_found(number: str) -> str:
    """The one reply for a missing order and for someone else's: nothing tells them apart."""
    return (f"No encontré el pedido #{number} entre tus compras. Revisá el número (son 7 dígitos) "
            "y, si está bien, decime y lo vemos con soporte.")


def price(final: str, list_price: str) -> str:
    """A customer's price, with the list price beside it when it differs."""
    return final if final == list_price else f"{final} (lista {list_price})"


def stock(units: int) -> str:
    """Stock as a customer reads it in a list."""
    return f"en stock ({units} u.)" if units > 0 else "sin stock"


def product_line(name: str, sku: str, price_text: str, units: int) -> str:
    """One product in a list: name, SKU, price and stock."""
    return f"- {name} ({sku}): {price_text}, {stock(units)}"


# --------------------------------------------------------------------------- category_agent

NO_CATEGORY_FOUND = "No encontré una categoría para eso. ¿Me contás un poco más qué buscás?"


def category_list(lines: Sequence[str]) -> str:
    """The whole tree; each line reads "Name (count): Child (count), ..."."""
    return "Estas son nuestras categorías (entre paréntesis, cantidad de productos):\n" + "\n".join(
        f"- {line}" for line in lines)


def categories_found(found: Sequence[tuple[str, int]]) -> str:
    """Matching categories as (path "Top > Sub", product count)."""
    return "Categorías que coinciden:\n" + "\n".join(f"- {path} ({count} productos)" for path, count in found)


# --------------------------------------------------------------------------- product_agent

ASK_PRODUCT_QUERY = "¿Qué producto estás buscando?"
ASK_SKU = "Decime el código (SKU) del producto."
COMPARE_NEEDS_SKUS = "Para comparar necesito entre 2 y 4 códigos de producto."


def no_products_found(query: str, brand: str | None, max_price: str | None, min_price: str | None,
                      in_stock: bool) -> str:
    """Nothing matched the search, repeating the filters that were applied."""
    filters = []
    if brand:
        filters.append(f"de la marca {brand}")
    if max_price is not None:
        filters.append(f"hasta {max_price}")
    if min_price is not None:
        filters.append(f"desde {min_price}")
    if in_stock:
        filters.append("con stock")
    suffix = (" " + " ".join(filters)) if filters else ""
    return f"No encontré productos{suffix} para \"{query}\". ¿Probamos con otra búsqueda o sin algún filtro?"


PRICES_IN_PESOS = ("Nuestros precios están en pesos argentinos, así que no usé ese monto como tope. "
                   "Si querés filtrar por precio, decime el monto en pesos.")


def products_found(lines: Sequence[str]) -> str:
    return "Encontré estos productos para vos:\n" + "\n".join(lines)


def product_not_found(sku: str) -> str:
    return f"No encontré el producto {sku}. Puedo buscarlo por nombre si me decís qué es."


def product_sheet(*, name: str, sku: str, brand: str, description: str, features: Sequence[str], list_price: str,
                  tier: str, tier_discount: str | None, promotion: str | None, promotion_discount: str | None,
                  final_price: str, stock_total: int, stock_where: Sequence[tuple[str, int]]) -> str:
    """A product's details: features ("name: value"), the price step by step and stock per city."""
    lines = [f"{name} ({sku}), marca {brand}."]
    if description:
        lines.append(description)
    if features:
        lines.append("Características: " + ", ".join(features) + ".")
    lines.append(f"Precio de lista: {list_price}.")
    if tier_discount:
        lines.append(f"Descuento por tu nivel {tier_name(tier)}: -{tier_discount}.")
    if promotion_discount:
        lines.append(f"Promoción {promotion}: -{promotion_discount}.")
    lines.append(f"Tu precio: {final_price}.")
    where = ", ".join(f"{city} {units}" for city, units in stock_where if units > 0)
    lines.append(f"Stock: {stock_total} unidades ({where})." if stock_total else "Sin stock por ahora.")
    return "\n".join(lines)


def not_enough_to_compare(missing: Sequence[str]) -> str:
    return ("No encontré suficientes productos para comparar"
            + (f" (no existen: {', '.join(missing)})" if missing else "") + ".")


def comparison(lines: Sequence[str], cheapest: str, missing: Sequence[str], dropped: Sequence[str]) -> str:
    """Products side by side, the cheapest for this customer, and what was left out."""
    note = ""
    if missing:
        note += f"\nNo encontré: {', '.join(missing)}."
    if dropped:
        note += f"\nComparo hasta 4; dejé afuera: {', '.join(dropped)}."
    return "Comparación:\n" + "\n".join(lines) + f"\nEl más barato para vos: {cheapest}." + note


# --------------------------------------------------------------------------- promotions_agent

WHOLE_STORE = "toda la tienda"
A_PRODUCT = "un producto"
ASK_COUPON = "Decime el código del cupón que querés usar."


def my_promotions(tier: str, tier_percent: int, automatic: Sequence[dict[str, str]],
                  coupons: Sequence[dict[str, str]]) -> str:
    """The customer's tier and the promotions and coupons they may use (items: name/code, discount, scope,
    valid_until)."""
    lines = [f"Tu nivel: {tier_name(tier)}" + (f" (descuento permanente del {tier_percent} %)." if tier_percent else ".")]
    if automatic:
        lines.append("Promociones automáticas (ya incluidas en tus precios):")
        lines += [f"- {p['name']}: {p['discount']} en {p['scope']}, hasta el {p['valid_until']}" for p in automatic]
    if coupons:
        lines.append("Cupones que podés usar:")
        lines += [f"- {p['code']}: {p['discount']} en {p['scope']}, hasta el {p['valid_until']}" for p in coupons]
    if not automatic and not coupons:
        lines.append("Hoy no hay promociones vigentes para tu cuenta.")
    return "\n".join(lines)


def coupon_applied(code: str, amount: str, until: str | None) -> str:
    return (f"¡Listo! Aplicamos el cupón {code}: {amount} de descuento en tu próxima compra "
            f"(válido hasta el {until}).")


def coupon_available(code: str, amount: str, scope: str, until: str | None) -> str:
    """A coupon the customer asked about and may use: not applied until they say so."""
    return (f"Sí, podés usar el cupón {code}: {amount} de descuento en {scope}, hasta el {until}. "
            "¿Querés que lo aplique a tu cuenta?")


def coupon_not_available(code: str, usable: Sequence[str]) -> str:
    """A coupon that is not among the customer's usable ones (unknown, expired, used up or of another tier)."""
    others = f" Los que sí podés usar: {', '.join(usable)}." if usable else ""
    return f"El cupón {code} no está entre tus cupones vigentes.{others}"


def coupon_not_eligible(code: str, min_tier: str | None) -> str:
    return f"El cupón {code} es exclusivo para clientes {tier_name(min_tier)} o superior; tu cuenta no puede usarlo."


def coupon_exhausted(code: str) -> str:
    return f"El cupón {code} ya alcanzó su límite de usos y no se puede aplicar."


def coupon_already_used(code: str) -> str:
    return f"Ya usaste el cupón {code}; cada cupón se puede usar una sola vez por cliente."


def coupon_unknown(code: str) -> str:
    return (f"El cupón {code} no existe o no está vigente, así que no puedo aplicar ningún "
            "descuento con él. Si querés, te muestro las promociones que sí tenés disponibles.")


# --------------------------------------------------------------------------- tracking_agent

NO_ORDERS = "No tenés pedidos registrados."
STAFF_ONLY_TOOL = "Esa consulta es solo para el personal de soporte."


def order_without_shipment(number: str, status: str) -> str:
    """An order that has not left yet: unpaid, cancelled, or being prepared."""
    if status == "pending":
        return f"El pedido #{number} está pendiente de pago; lo despachamos cuando se acredite."
    if status == "cancelled":
        return f"El pedido #{number} está cancelado."
    return f"El pedido #{number} está {order_status(status)}; todavía no tiene envío asignado."


def tracking_unavailable(number: str, carrier: str, tracking_number: str) -> str:
    return (f"El pedido #{number} salió con {carrier} (seguimiento "
            f"{tracking_number}), pero ahora no puedo consultar al correo. Probá más tarde.")


def order_tracking(*, number: str, status_text: str, last_location: str | None, delivered: str | None,
                   eta: str | None, delayed: bool, carrier: str, tracking_number: str) -> str:
    """Where a shipped order is and when it arrives (or when it was delivered)."""
    parts = [f"Pedido #{number}: {status_text}."]
    if last_location:
        parts.append(f"Última ubicación: {last_location}.")
    if delivered:
        parts.append(f"Se entregó el {delivered}.")
    elif eta:
        parts.append(f"Llegada estimada: {eta}." + (" Viene con demora, disculpá." if delayed else ""))
    parts.append(f"Correo: {carrier}, seguimiento {tracking_number}.")
    return " ".join(parts)


def order_line(number: str, date: str | None, status: str, total: str, items: Sequence[str]) -> str:
    """One order in a list: number, date, status, total and its items ("2 x Mouse")."""
    return f"#{number} del {date}: {order_status(status)}, total {total} ({', '.join(items)})"


def recent_orders(lines: Sequence[str]) -> str:
    return "Tus últimos pedidos:\n" + "\n".join(f"- {line}" for line in lines)


def order_does_not_exist(number: str) -> str:
    return f"No existe el pedido #{number}."


def staff_order_summary(customer_name: str, customer_id: str, date: str | None, total: str, status: str) -> str:
    """What support staff read before any customer's order status."""
    return (f"Cliente {customer_name} ({customer_id}), pedido del {date}, "
            f"total {total}, estado {order_status(status)}. ")


# --------------------------------------------------------------------------- support_agent

ASK_HELP_QUERY = "¿Cuál es tu consulta?"
NO_HELP_FOUND = ("No encontré una respuesta para eso en nuestra ayuda. Si querés, abro un ticket de soporte "
                 "y una persona del equipo te contacta.")
ASK_PROBLEM = "Contame brevemente cuál es el problema para abrir el ticket."


def help_answer(title: str, body: str, other_titles: Sequence[str]) -> str:
    """The best help article, and the titles of the next ones."""
    message = f"{title}\n{body}"
    if other_titles:
        message += "\nTambién puede servirte: " + "; ".join(other_titles) + "."
    return message


def ticket_opened(ticket_id: int, subject: str, email: str) -> str:
    return (f"Abrí el ticket #{ticket_id} (\"{subject}\"). El equipo de soporte te va a contactar "
            f"por este medio o a {email}.")


# --------------------------------------------------------------------------- invoice_agent


def invoice_not_paid(number: str) -> str:
    return f"El pedido #{number} todavía no está pago; la factura se emite al acreditarse el pago."


def invoice_issued(kind: str, invoice_number: str, order_number: str, total: str, email: str, *, new: bool) -> str:
    """The invoice just issued (and e-mailed), or the one issued before."""
    if new:
        return (f"Emití la factura {kind} N° {invoice_number} del pedido #{order_number} por {total}."
                f" Te la enviamos por e-mail a {email} (puede tardar unos minutos en llegar).")
    return (f"La factura {kind} N° {invoice_number} del pedido #{order_number} ya estaba emitida "
            f"(total {total}). Se envió a {email} cuando se emitió.")
