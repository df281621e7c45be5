"""Function tools for the shop's six specialist agents.

Conventions (same as the pizzeria tools):

- The customer is always the session's: `customer_by_user_id(conn, tool_context.user_id)`.
  No tool takes a customer id, e-mail or tier as an argument.
- Every price, discount and total comes from the database through `pricing.quote`
  for that customer's tier; nothing the model types can change an amount.
- Catalog lookups (category tree and paths, products by SKU) and each customer's
  promotions go through `tools.shop.cache`; stock levels are always read live.
- Each tool returns a dict with data for the model and a ready Spanish `message`.
- Arguments are tolerant (`tools.shop.parsing`): prices as "800 mil", "$1.200.000" or
  800000; SKUs in any case, as a list or a comma separated string; order numbers as "#4.581.230".
- "Today" is `now()`, patched in tests.

Which session may call which tool is decided in `tools.shop.permissions`
(`enforce_permissions`, the agents' `before_tool_callback`); the staff-only tool also
checks the role itself, in case an agent is built without the callback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from google.adk.tools import ToolContext
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tools.observability import record_tool_error
from tools.shop.cache import CATALOG, get_cache
from tools.shop.carriers import ARGENTINA, LocalCarrier, TrackingError, carrier_for, shipment_for_order
from tools.shop.catalog import (
    category_paths,
    category_tree,
    customer_by_user_id,
    get_products,
    product_by_sku,
    stock_by_warehouse,
    stock_levels,
)
from tools.shop.invoicing import InvoiceRefused, has_invoice, invoice_order
from tools.shop.money import format_ars, to_cents
from tools.shop.orders import any_order, order_for_customer, recent_orders
from tools.shop.parsing import normalize_order_number, parse_amount, parse_coupon_code, parse_flag, parse_skus
from tools.shop.pricing import (
    TIER_DISCOUNT_PERCENT,
    RedeemStatus,
    customer_promotions,
    quote,
    redeem_coupon,
)
from tools.shop.records import CategoryNode, Customer, Order, PriceQuote, Product
from tools.shop.runtime import get_engine, get_index
from tools.shop.search import (
    CATEGORY_MIN_SCORE,
    KB_MIN_SCORE,
    attribute_value,
    search_categories,
    search_kb,
    search_products,
)
from tools.shop.support import open_ticket

log = logging.getLogger(__name__)

MAX_RESULTS = 5
CANDIDATES = 50
KB_BODY_CHARS = 700

GUEST = Customer(id="", user_id="", name="Invitado", email="", tier="basic", role="customer")
"""Prices for a session that is not a registered customer: list price and public promotions only."""

ORDER_STATUS_ES = {
    "pending": "pendiente de pago",
    "paid": "pago, en preparación",
    "shipped": "enviado",
    "delivered": "entregado",
    "cancelled": "cancelado",
}

TIER_ES = {"basic": "básico", "premium": "premium", "vip": "VIP"}

NOT_IDENTIFIED = {
    "ok": False,
    "error": "not_identified",
    "message": "No pude identificarte como cliente. Escribinos desde el número o la cuenta registrada en la tienda.",
}

TECHNICAL_ERROR = {
    "ok": False,
    "error": "technical",
    "message": "Tuve un problema técnico al consultar el sistema. Probá de nuevo en unos minutos.",
}


def now() -> datetime:
    """The current moment (UTC). Tests patch `tools.shop.agent_tools.now`."""
    return datetime.now(UTC)


def _guarded(func: Callable[..., Awaitable[dict[str, Any]]]) -> Callable[..., Awaitable[dict[str, Any]]]:
    """An unexpected failure becomes a polite Spanish message instead of an aborted turn."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return await func(*args, **kwargs)
        except Exception:
            log.exception("tool %s failed", func.__name__)
            context = kwargs.get("tool_context")
            record_tool_error(getattr(context, "agent_name", "shop"), func.__name__)
            return dict(TECHNICAL_ERROR)

    return wrapper


# --------------------------------------------------------------------------- shared helpers


async def _session_customer(conn: AsyncConnection, tool_context: ToolContext) -> Customer | None:
    user_id = getattr(tool_context, "user_id", None)
    return await customer_by_user_id(conn, user_id) if user_id else None


async def _category_paths(conn: AsyncConnection) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(category id -> [itself, parent, grandparent...], category id -> name), cached."""

    async def load() -> dict[str, Any]:
        paths, names = await category_paths(conn)
        return {"paths": paths, "names": names}

    found = await get_cache().remember(CATALOG, "category-paths", load)
    return found["paths"], found["names"]


async def _category_tree(conn: AsyncConnection) -> list[CategoryNode]:
    """`catalog.category_tree` (with product counts), cached."""

    async def load() -> list[dict[str, Any]]:
        return [root.model_dump(mode="json") for root in await category_tree(conn)]

    return [CategoryNode.model_validate(root) for root in await get_cache().remember(CATALOG, "category-tree", load)]


async def _product_by_sku(conn: AsyncConnection, sku: str) -> Product | None:
    """`catalog.product_by_sku`, cached (an unknown SKU is not)."""

    async def load() -> dict[str, Any] | None:
        product = await product_by_sku(conn, sku)
        return product.model_dump(mode="json") if product else None

    found = await get_cache().remember(CATALOG, f"sku:{sku}", load)
    return Product.model_validate(found) if found else None


def _ars(amount: Decimal) -> str:
    return format_ars(to_cents(amount))


def _price_data(quote: PriceQuote) -> dict[str, Any]:
    return {
        "price": _ars(quote.final_price),
        "price_cents": to_cents(quote.final_price),
        "list_price": _ars(quote.list_price),
        "list_price_cents": to_cents(quote.list_price),
        "tier_discount": _ars(quote.tier_discount),
        "promotion_discount": _ars(quote.promotion_discount),
        "promotion": quote.promotion,
    }


def _price_text(quote: PriceQuote) -> str:
    if quote.final_price == quote.list_price:
        return _ars(quote.final_price)
    return f"{_ars(quote.final_price)} (lista {_ars(quote.list_price)})"


def _stock_text(units: int) -> str:
    return f"en stock ({units} u.)" if units > 0 else "sin stock"


async def _quotes(
    conn: AsyncConnection, items: list[Product], customer: Customer
) -> dict[int, PriceQuote]:
    paths, _ = await _category_paths(conn)
    when = now()
    automatic = (await customer_promotions(conn, customer, when, get_cache())).at(when, coupons=False)
    return {product.id: quote(product, customer, automatic, paths.get(product.category_id)) for product in items}


def _date(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ARGENTINA).strftime("%d/%m/%Y")


def _order_not_found(number: str) -> dict[str, Any]:
    """The one reply for a missing order and for someone else's: nothing tells them apart."""
    return {
        "ok": False,
        "found": False,
        "order_number": number,
        "message": f"No encontré el pedido #{number} entre tus compras. Revisá el número (son 7 dígitos) "
                   "y, si está bien, decime y lo vemos con soporte.",
    }


def _ask_order_number() -> dict[str, Any]:
    return {"ok": False, "found": False, "message": "Decime el número de pedido (7 dígitos, por ejemplo 4581230)."}


async def _order_status(engine: AsyncEngine, order_id: int, number: str, status: str) -> dict[str, Any]:
    """Order status plus the carrier's tracking (Spanish status, last location, ETA)."""
    shipment = await shipment_for_order(engine, order_id)
    data: dict[str, Any] = {"ok": True, "found": True, "order_number": number, "order_status": status,
                            "order_status_es": ORDER_STATUS_ES.get(status, status)}
    if shipment is None:
        if status == "pending":
            text = f"El pedido #{number} está pendiente de pago; lo despachamos cuando se acredite."
        elif status == "cancelled":
            text = f"El pedido #{number} está cancelado."
        else:
            text = f"El pedido #{number} está {ORDER_STATUS_ES.get(status, status)}; todavía no tiene envío asignado."
        return data | {"message": text}
    carrier = carrier_for(shipment.carrier, engine)
    if isinstance(carrier, LocalCarrier):
        carrier.clock = now
    try:
        info = await carrier.track(shipment.tracking_number)
    except TrackingError:
        log.warning("tracking %s failed", shipment.tracking_number, exc_info=True)
        info = None
    data |= {"carrier": shipment.carrier, "tracking_number": shipment.tracking_number}
    if info is None:
        return data | {"message": f"El pedido #{number} salió con {shipment.carrier} (seguimiento "
                                  f"{shipment.tracking_number}), pero ahora no puedo consultar al correo. Probá más tarde."}
    eta = _date(info.estimated_delivery)
    delivered = _date(info.delivered_at)
    data |= {"shipment_status": info.status, "status_es": info.status_text_es, "last_location": info.last_location,
             "estimated_delivery": eta, "delivered_at": delivered, "delayed": info.delayed}
    parts = [f"Pedido #{number}: {info.status_text_es}."]
    if info.last_location:
        parts.append(f"Última ubicación: {info.last_location}.")
    if delivered:
        parts.append(f"Se entregó el {delivered}.")
    elif eta:
        parts.append(f"Llegada estimada: {eta}." + (" Viene con demora, disculpá." if info.delayed else ""))
    parts.append(f"Correo: {shipment.carrier}, seguimiento {shipment.tracking_number}.")
    return data | {"message": " ".join(parts)}


def _order_line(order: Order) -> str:
    items = ", ".join(f"{line.quantity} x {line.name}" for line in order.lines)
    return (f"#{order.number} del {_date(order.created_at)}: {ORDER_STATUS_ES.get(order.status, order.status)}, "
            f"total {_ars(order.total)} ({items})")


# --------------------------------------------------------------------------- category_agent


def _tree_text(node: CategoryNode) -> str:
    text = f"{node.name} ({node.product_count})"
    if node.children:
        text += ": " + ", ".join(_tree_text(child) for child in node.children)
    return text


def _tree_data(node: CategoryNode) -> dict[str, Any]:
    data: dict[str, Any] = {"id": node.id, "name": node.name, "products": node.product_count}
    if node.children:
        data["children"] = [_tree_data(child) for child in node.children]
    return data


@_guarded
async def list_categories() -> dict[str, Any]:
    """Muestra todas las categorías de la tienda con cuántos productos tiene cada una."""
    engine = await get_engine()
    async with engine.connect() as conn:
        roots = await _category_tree(conn)
    lines = [f"- {_tree_text(root)}" for root in roots]
    return {"ok": True, "categories": [_tree_data(root) for root in roots],
            "message": "Estas son nuestras categorías (entre paréntesis, cantidad de productos):\n" + "\n".join(lines)}


@_guarded
async def find_categories(query: str) -> dict[str, Any]:
    """Busca la categoría que corresponde a lo que pide el cliente.

    Args:
      query: lo que busca, con sus palabras (por ejemplo "algo para lavar la ropa").
    """
    text = " ".join(str(query or "").split())
    if not text:
        return await list_categories()
    engine = await get_engine()
    index = await get_index()
    hits = [hit for hit in await search_categories(index, text, limit=5) if hit.score >= CATEGORY_MIN_SCORE]
    if not hits:
        return {"ok": True, "categories": [], "message": "No encontré una categoría para eso. ¿Me contás un poco más qué buscás?"}
    async with engine.connect() as conn:
        counts: dict[str, int] = {}

        def walk(node: CategoryNode) -> None:
            counts[node.id] = node.product_count
            for child in node.children:
                walk(child)

        for root in await _category_tree(conn):
            walk(root)
        paths, names = await _category_paths(conn)
    found = [
        {"id": hit.id, "name": hit.name, "path": " > ".join(names.get(c, c) for c in reversed(paths.get(hit.id, [hit.id]))),
         "products": counts.get(hit.id, 0), "score": hit.score}
        for hit in hits
    ]
    lines = [f"- {item['path']} ({item['products']} productos)" for item in found]
    return {"ok": True, "categories": found, "message": "Categorías que coinciden:\n" + "\n".join(lines)}


# --------------------------------------------------------------------------- product_agent


@_guarded
async def search_catalog(
    query: str,
    max_price: str | float = "",
    min_price: str | float = "",
    brand: str = "",
    in_stock: bool | str = False,
    tool_context: ToolContext | None = None,
) -> dict[str, Any]:
    """Busca productos del catálogo con el precio para este cliente y el stock.

    Args:
      query: qué busca el cliente (por ejemplo "notebook gamer rtx").
      max_price: precio máximo en pesos si lo dijo (por ejemplo "800 mil"); si no, vacío.
      min_price: precio mínimo en pesos si lo dijo; si no, vacío.
      brand: marca si la nombró (por ejemplo "Samsung"); si no, vacío.
      in_stock: true si solo quiere productos con stock.
    """
    text = " ".join(str(query or "").split())[:300]
    if not text:
        return {"ok": False, "products": [], "message": "¿Qué producto estás buscando?"}
    low, high = parse_amount(min_price), parse_amount(max_price)
    if low and high and low > high:
        low, high = high, low
    wanted_brand = " ".join(str(brand or "").split()) or None
    engine = await get_engine()
    index = await get_index()
    hits = await search_products(engine, index, text, brand=wanted_brand, in_stock=parse_flag(in_stock), limit=CANDIDATES)
    async with engine.connect() as conn:
        customer = (await _session_customer(conn, tool_context) if tool_context else None) or GUEST
        found = await get_products(conn, [hit.id for hit in hits])
        quotes = await _quotes(conn, found, customer)
    units = {hit.id: hit.stock for hit in hits}
    results = []
    for product in found:
        quote = quotes[product.id]
        if high is not None and quote.final_price > high:
            continue
        if low is not None and quote.final_price < low:
            continue
        results.append({"sku": product.sku, "name": product.name, "brand": product.brand,
                        "category_id": product.category_id, "stock": units.get(product.id, 0), **_price_data(quote)})
        if len(results) == MAX_RESULTS:
            break
    if not results:
        filters = []
        if wanted_brand:
            filters.append(f"de la marca {wanted_brand}")
        if high is not None:
            filters.append(f"hasta {format_ars(to_cents(high))}")
        if low is not None:
            filters.append(f"desde {format_ars(to_cents(low))}")
        if parse_flag(in_stock):
            filters.append("con stock")
        suffix = (" " + " ".join(filters)) if filters else ""
        return {"ok": True, "products": [],
                "message": f"No encontré productos{suffix} para \"{text}\". ¿Probamos con otra búsqueda o sin algún filtro?"}
    lines = [f"- {r['name']} ({r['sku']}): {r['price']}"
             + (f" (lista {r['list_price']})" if r["price_cents"] != r["list_price_cents"] else "")
             + f", {_stock_text(r['stock'])}" for r in results]
    return {"ok": True, "products": results, "message": "Encontré estos productos:\n" + "\n".join(lines)}


@_guarded
async def product_details(sku: str, tool_context: ToolContext | None = None) -> dict[str, Any]:
    """Ficha de un producto: características, stock y precio para este cliente.

    Args:
      sku: el código del producto (por ejemplo "NB-ASU-00001").
    """
    skus = parse_skus(sku)
    code = skus[0] if skus else ""
    if not code:
        return {"ok": False, "found": False, "message": "Decime el código (SKU) del producto."}
    engine = await get_engine()
    async with engine.connect() as conn:
        product = await _product_by_sku(conn, code)
        if product is None or not product.active:
            return {"ok": False, "found": False, "sku": code,
                    "message": f"No encontré el producto {code}. Puedo buscarlo por nombre si me decís qué es."}
        customer = (await _session_customer(conn, tool_context) if tool_context else None) or GUEST
        quote = (await _quotes(conn, [product], customer))[product.id]
        by_warehouse = [item.model_dump() for item in (await stock_by_warehouse(conn, [product.id]))[product.id]]
    total = sum(item["units"] for item in by_warehouse)
    lines = [f"{product.name} ({product.sku}), marca {product.brand}."]
    if product.description:
        lines.append(product.description)
    if product.attributes:
        lines.append("Características: " + ", ".join(f"{k.replace('_', ' ')}: {attribute_value(v, ', ')}"
                                                      for k, v in product.attributes.items()) + ".")
    lines.append(f"Precio de lista: {_ars(quote.list_price)}.")
    if quote.tier_discount:
        lines.append(f"Descuento por tu nivel {TIER_ES.get(customer.tier, customer.tier)}: -{_ars(quote.tier_discount)}.")
    if quote.promotion_discount:
        lines.append(f"Promoción {quote.promotion}: -{_ars(quote.promotion_discount)}.")
    lines.append(f"Tu precio: {_ars(quote.final_price)}.")
    where = ", ".join(f"{item['city']} {item['units']}" for item in by_warehouse if item["units"] > 0)
    lines.append(f"Stock: {total} unidades ({where})." if total else "Sin stock por ahora.")
    return {"ok": True, "found": True, "sku": product.sku, "name": product.name, "brand": product.brand,
            "category_id": product.category_id, "attributes": product.attributes, "iva_rate": product.iva_rate,
            "stock_total": total, "stock_by_warehouse": by_warehouse, **_price_data(quote), "message": "\n".join(lines)}


@_guarded
async def compare_products(skus: list[str] | str, tool_context: ToolContext | None = None) -> dict[str, Any]:
    """Compara de 2 a 4 productos lado a lado (precio para este cliente, stock y características).

    Args:
      skus: los códigos de los productos, como lista o separados por coma.
    """
    codes = parse_skus(skus)
    if len(codes) < 2:
        return {"ok": False, "products": [], "message": "Para comparar necesito entre 2 y 4 códigos de producto."}
    dropped = codes[4:]
    codes = codes[:4]
    engine = await get_engine()
    async with engine.connect() as conn:
        found = [p for p in [await _product_by_sku(conn, code) for code in codes] if p is not None and p.active]
        missing = [code for code in codes if code not in {p.sku for p in found}]
        customer = (await _session_customer(conn, tool_context) if tool_context else None) or GUEST
        quotes = await _quotes(conn, found, customer)
        units = await stock_levels(conn, [p.id for p in found])
    if len(found) < 2:
        return {"ok": False, "products": [], "missing": missing,
                "message": "No encontré suficientes productos para comparar"
                           + (f" (no existen: {', '.join(missing)})" if missing else "") + "."}
    keys: list[str] = []
    for product in found:
        keys += [k for k in product.attributes if k not in keys]
    rows = [{"sku": p.sku, "name": p.name, "brand": p.brand, "stock": units[p.id], "attributes": p.attributes,
             **_price_data(quotes[p.id])} for p in found]
    lines = []
    for p in found:
        attrs = "; ".join(f"{k.replace('_', ' ')}: {attribute_value(p.attributes[k], ', ')}" for k in keys if k in p.attributes)
        lines.append(f"- {p.name} ({p.sku}): {_price_text(quotes[p.id])}, {_stock_text(units[p.id])}. {attrs}")
    cheapest = min(found, key=lambda p: quotes[p.id].final_price)
    note = ""
    if missing:
        note += f"\nNo encontré: {', '.join(missing)}."
    if dropped:
        note += f"\nComparo hasta 4; dejé afuera: {', '.join(dropped)}."
    return {"ok": True, "products": rows, "missing": missing, "cheapest_sku": cheapest.sku,
            "message": "Comparación:\n" + "\n".join(lines) + f"\nEl más barato para vos: {cheapest.name}." + note}


# --------------------------------------------------------------------------- promotions_agent


def _promotion_scope(promo: Any, category_names: dict[str, str], product_names: dict[int, str]) -> str:
    if promo.product_id is not None:
        return f" en {product_names.get(promo.product_id, 'un producto')}"
    if promo.category_id is not None:
        return f" en {category_names.get(promo.category_id, promo.category_id)}"
    return ""


@_guarded
async def my_promotions(tool_context: ToolContext) -> dict[str, Any]:
    """Lista las promociones y cupones vigentes que este cliente puede usar, con su vencimiento."""
    engine = await get_engine()
    async with engine.connect() as conn:
        customer = await _session_customer(conn, tool_context)
        if customer is None:
            return dict(NOT_IDENTIFIED)
        when = now()
        snapshot = await customer_promotions(conn, customer, when, get_cache())
        promos, used = snapshot.at(when), set(snapshot.redeemed)
        _, category_names = await _category_paths(conn)
        product_ids = [p.product_id for p in promos if p.product_id is not None]
        product_names = {p.id: p.name for p in await get_products(conn, product_ids)}
    automatic, coupons = [], []
    for promo in promos:
        item = {"name": promo.name, "code": promo.code, "description": promo.description,
                "discount": f"{promo.value} %" if promo.kind == "percent" else format_ars(promo.value),
                "scope": _promotion_scope(promo, category_names, product_names).removeprefix(" en ") or "toda la tienda",
                "min_tier": promo.min_tier, "valid_until": _date(promo.ends_at)}
        if promo.code is None:
            automatic.append(item)
        elif promo.id not in used:
            coupons.append(item)
    lines = [f"Tu nivel: {TIER_ES.get(customer.tier, customer.tier)}"
             + (f" (descuento permanente del {_tier_percent(customer.tier)} %)." if _tier_percent(customer.tier) else ".")]
    if automatic:
        lines.append("Promociones automáticas (ya incluidas en tus precios):")
        lines += [f"- {p['name']}: {p['discount']} en {p['scope']}, hasta el {p['valid_until']}" for p in automatic]
    if coupons:
        lines.append("Cupones que podés usar:")
        lines += [f"- {p['code']}: {p['discount']} en {p['scope']}, hasta el {p['valid_until']}" for p in coupons]
    if not automatic and not coupons:
        lines.append("Hoy no hay promociones vigentes para tu cuenta.")
    return {"ok": True, "tier": customer.tier, "automatic": automatic, "coupons": coupons, "message": "\n".join(lines)}


def _tier_percent(tier: str) -> int:
    return TIER_DISCOUNT_PERCENT.get(tier, 0)


@_guarded
async def redeem_coupon_code(code: str, tool_context: ToolContext) -> dict[str, Any]:
    """Aplica un cupón de descuento a la cuenta del cliente (una vez por cliente).

    Args:
      code: el código del cupón tal como lo escribió el cliente (por ejemplo "BIENVENIDA10").
    """
    normalized = parse_coupon_code(code)
    if not normalized:
        return {"ok": False, "status": "missing", "message": "Decime el código del cupón que querés usar."}
    engine = await get_engine()
    async with engine.connect() as conn:
        customer = await _session_customer(conn, tool_context)
    if customer is None:
        return dict(NOT_IDENTIFIED)
    result = await redeem_coupon(engine, normalized, customer, now())
    promo = result.promotion
    base: dict[str, Any] = {"ok": result.status == RedeemStatus.OK, "status": str(result.status), "code": normalized}
    if result.status == RedeemStatus.OK and promo is not None:
        amount = f"{promo.value} %" if promo.kind == "percent" else format_ars(promo.value)
        return base | {"discount": amount, "valid_until": _date(promo.ends_at),
                       "message": f"¡Listo! Aplicamos el cupón {normalized}: {amount} de descuento en tu próxima compra "
                                  f"(válido hasta el {_date(promo.ends_at)})."}
    if result.status == RedeemStatus.NOT_ELIGIBLE and promo is not None:
        tier = TIER_ES.get(promo.min_tier or "", promo.min_tier)
        return base | {"message": f"El cupón {normalized} es exclusivo para clientes {tier} o superior; "
                                  "tu cuenta no puede usarlo."}
    if result.status == RedeemStatus.EXHAUSTED:
        return base | {"message": f"El cupón {normalized} ya alcanzó su límite de usos y no se puede aplicar."}
    if result.status == RedeemStatus.ALREADY_USED:
        return base | {"message": f"Ya usaste el cupón {normalized}; cada cupón se puede usar una sola vez por cliente."}
    return base | {"message": f"El cupón {normalized} no existe o no está vigente, así que no puedo aplicar ningún "
                              "descuento con él. Si querés, te muestro las promociones que sí tenés disponibles."}


async def _own_order(order_number: str | int, tool_context: ToolContext) -> tuple[AsyncEngine, Customer, Order] | dict[str, Any]:
    """The session customer's order with this number, or the reply to give instead
    (ask for the number, not identified, or not found — another customer's order included)."""
    number = normalize_order_number(str(order_number or ""))
    if number is None:
        return _ask_order_number()
    engine = await get_engine()
    async with engine.connect() as conn:
        customer = await _session_customer(conn, tool_context)
        if customer is None:
            return dict(NOT_IDENTIFIED)
        order = await order_for_customer(conn, customer.id, number)
    if order is None:
        return _order_not_found(number)
    return engine, customer, order


# --------------------------------------------------------------------------- tracking_agent


@_guarded
async def track_order(order_number: str | int, tool_context: ToolContext) -> dict[str, Any]:
    """Estado y seguimiento de un pedido del cliente: dónde está y cuándo llega.

    Args:
      order_number: el número de pedido (7 dígitos, por ejemplo "4581230").
    """
    found = await _own_order(order_number, tool_context)
    if isinstance(found, dict):
        return found
    engine, _customer, order = found
    return await _order_status(engine, order.id, order.number, order.status)


@_guarded
async def my_recent_orders(tool_context: ToolContext) -> dict[str, Any]:
    """Lista los últimos pedidos del cliente con su estado y total."""
    engine = await get_engine()
    async with engine.connect() as conn:
        customer = await _session_customer(conn, tool_context)
        if customer is None:
            return dict(NOT_IDENTIFIED)
        found = await recent_orders(conn, customer.id, limit=5)
    if not found:
        return {"ok": True, "orders": [], "message": "No tenés pedidos registrados."}
    data = [{"order_number": o.number, "date": _date(o.created_at), "status": o.status,
             "status_es": ORDER_STATUS_ES.get(o.status, o.status), "total": _ars(o.total),
             "total_cents": to_cents(o.total), "items": [f"{line.quantity} x {line.name}" for line in o.lines]}
            for o in found]
    return {"ok": True, "orders": data,
            "message": "Tus últimos pedidos:\n" + "\n".join(f"- {_order_line(o)}" for o in found)}


@_guarded
async def lookup_any_order(order_number: str | int, tool_context: ToolContext) -> dict[str, Any]:
    """SOLO PERSONAL DE SOPORTE: consulta cualquier pedido por número, de cualquier cliente.

    Args:
      order_number: el número de pedido (7 dígitos).
    """
    engine = await get_engine()
    async with engine.connect() as conn:
        staff = await _session_customer(conn, tool_context)
        if staff is None or staff.role != "support_staff":  # defense in depth; the callback refuses first
            return {"ok": False, "error": "forbidden", "message": "Esa consulta es solo para el personal de soporte."}
        number = normalize_order_number(str(order_number or ""))
        if number is None:
            return _ask_order_number()
        row = await any_order(conn, number)
    if row is None:
        return {"ok": False, "found": False, "order_number": number, "message": f"No existe el pedido #{number}."}
    status = await _order_status(engine, row.id, row.number, row.status)
    status |= {"customer_id": row.customer_id, "customer_name": row.customer_name,
               "total": _ars(row.total), "date": _date(row.created_at)}
    status["message"] = (f"Cliente {row.customer_name} ({row.customer_id}), pedido del {_date(row.created_at)}, "
                         f"total {_ars(row.total)}, estado {ORDER_STATUS_ES.get(row.status, row.status)}. "
                         + status["message"])
    return status


# --------------------------------------------------------------------------- support_agent


@_guarded
async def search_help(query: str) -> dict[str, Any]:
    """Busca la respuesta en la ayuda de la tienda (envíos, garantía, devoluciones, pagos, uso de productos).

    Args:
      query: la consulta del cliente con sus palabras.
    """
    text = " ".join(str(query or "").split())[:500]
    if not text:
        return {"ok": False, "found": False, "articles": [], "message": "¿Cuál es tu consulta?"}
    engine = await get_engine()
    index = await get_index()
    hits = [hit for hit in await search_kb(engine, index, text, limit=3) if hit.score >= KB_MIN_SCORE]
    if not hits:
        return {"ok": True, "found": False, "articles": [],
                "message": "No encontré una respuesta para eso en nuestra ayuda. Si querés, abro un ticket de soporte "
                           "y una persona del equipo te contacta."}
    best = hits[0]
    body = best.body.strip()
    if len(body) > KB_BODY_CHARS:
        body = body[:KB_BODY_CHARS].rsplit(" ", 1)[0] + "…"
    articles = [{"id": h.id, "kind": h.kind, "title": h.title, "score": h.score} for h in hits]
    message = f"{best.title}\n{body}"
    if len(hits) > 1:
        message += "\nTambién puede servirte: " + "; ".join(h.title for h in hits[1:]) + "."
    return {"ok": True, "found": True, "articles": articles, "answer": body, "message": message}


@_guarded
async def open_support_ticket(subject: str, description: str = "", tool_context: ToolContext | None = None) -> dict[str, Any]:
    """Abre un ticket de soporte para que una persona del equipo atienda el problema del cliente.

    Args:
      subject: título corto del problema (por ejemplo "Notebook no enciende").
      description: el detalle, con lo que contó el cliente.
    """
    subject_text = " ".join(str(subject or "").split())
    description_text = str(description or "").strip() or subject_text
    if not subject_text and not description_text:
        return {"ok": False, "message": "Contame brevemente cuál es el problema para abrir el ticket."}
    engine = await get_engine()
    async with engine.begin() as conn:
        customer = await _session_customer(conn, tool_context) if tool_context else None
        if customer is None:
            return dict(NOT_IDENTIFIED)
        ticket = await open_ticket(conn, customer.id, subject_text or description_text[:80], description_text, now())
    return {"ok": True, "ticket_id": ticket.id, "subject": ticket.subject, "status": ticket.status,
            "message": f"Abrí el ticket #{ticket.id} (\"{ticket.subject}\"). El equipo de soporte te va a contactar "
                       f"por este medio o a {customer.email}."}


# --------------------------------------------------------------------------- invoice_agent


@_guarded
async def request_invoice(order_number: str | int, tool_context: ToolContext) -> dict[str, Any]:
    """Emite la factura de un pedido del cliente y se la envía por e-mail.

    Args:
      order_number: el número de pedido (7 dígitos, por ejemplo "4581233").
    """
    found = await _own_order(order_number, tool_context)
    if isinstance(found, dict):
        return found
    engine, customer, own = found
    number = own.number
    async with engine.connect() as conn:
        already = await has_invoice(conn, own.id)
    when = now()
    try:
        invoice = await invoice_order(engine, customer, number, when)
    except InvoiceRefused as refused:
        return {"ok": False, "found": True, "order_number": number, "error": "not_invoiceable",
                "message": f"El pedido #{refused.order_number} todavía no está pago; la factura se emite al acreditarse el pago."}
    if invoice is None:
        return _order_not_found(number)
    new = not already  # only the wording depends on it; a concurrent first request may say "ya estaba"
    kind = "A" if invoice.invoice_type == "A" else "B"
    lead = (f"Emití la factura {kind} N° {invoice.number} del pedido #{invoice.order_number} por {_ars(invoice.total)}."
            if new else
            f"La factura {kind} N° {invoice.number} del pedido #{invoice.order_number} ya estaba emitida "
            f"(total {_ars(invoice.total)}).")
    sent = (f" Te la enviamos por e-mail a {customer.email} (puede tardar unos minutos en llegar)." if new else
            f" Se envió a {customer.email} cuando se emitió.")
    return {"ok": True, "found": True, "order_number": invoice.order_number, "invoice_number": invoice.number,
            "invoice_type": kind, "total": _ars(invoice.total), "total_cents": to_cents(invoice.total),
            "emailed_to": customer.email, "newly_issued": new, "message": lead + sent}
