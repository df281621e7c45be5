"""The product_agent's tools: catalog search, a product's details and side-by-side comparison, priced for the session."""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools.shop import replies, runtime
from tools.shop.catalog import get_products, stock_by_warehouse, stock_levels
from tools.shop.parsing import parse_flag, parse_skus
from tools.shop.product_filters import held_filters
from tools.shop.records import Product
from tools.shop.search import search_products
from tools.shop.search_index import attribute_value
from tools.shop.tool_common import (
    catalog_brands,
    customer_words,
    guarded,
    price_data,
    price_text,
    pricing_customer,
    product_by_sku,
    quotes,
    shown_prices,
)

MAX_RESULTS = 5
CANDIDATES = 50
MAX_COMPARED = 4


def _feature(key: str, value: Any) -> str:
    """A product attribute as "name: value" (underscores as spaces, lists comma separated)."""
    return f"{key.replace('_', ' ')}: {attribute_value(value, ', ')}"


@guarded
async def search_catalog(
    query: str,
    max_price: str = "",
    min_price: str = "",
    brand: str = "",
    in_stock: bool = False,
    tool_context: ToolContext | None = None,
) -> dict[str, Any]:
    """Busca productos, con precio para este cliente y stock.

    Args:
      query: qué producto busca (ej. "notebook gamer rtx").
      max_price: tope en pesos, si lo dijo.
      min_price: mínimo en pesos, si lo dijo.
      brand: marca, si la nombró.
      in_stock: true: solo con stock.
    """
    text = " ".join(str(query or "").split())[:300]
    if not text:
        return {"ok": False, "products": [], "message": replies.ASK_PRODUCT_QUERY}
    words = customer_words(tool_context)
    engine = await runtime.get_engine()
    async with engine.connect() as conn:
        filters = held_filters(min_price, max_price, brand, words, await catalog_brands(conn))
    filters.in_stock = parse_flag(in_stock)
    index = await runtime.get_index()
    hits = await search_products(engine, index, text, brand=filters.brand, in_stock=filters.in_stock, limit=CANDIDATES)
    async with engine.connect() as conn:
        customer = await pricing_customer(conn, tool_context)
        found = await get_products(conn, [hit.id for hit in hits])
        prices = await quotes(conn, found, customer)
    units = {hit.id: hit.stock for hit in hits}
    results = []
    lines = []
    for product in found:
        price = prices[product.id]
        if not filters.admits(price.final_price):
            continue
        results.append({"sku": product.sku, "name": product.name, "brand": product.brand,
                        "category_id": product.category_id, "stock": units.get(product.id, 0), **price_data(price)})
        lines.append(replies.product_line(product.name, product.sku, price_text(price), units.get(product.id, 0)))
        if len(results) == MAX_RESULTS:
            break
    applied = filters.shown()
    notice = replies.PRICES_IN_PESOS if filters.foreign_currency else ""
    if not results:
        message = replies.no_products_found(text, filters.brand, applied.get("max_price"), applied.get("min_price"),
                                            filters.in_stock)
    else:
        message = replies.products_found(lines)
    return {"ok": True, "products": results, "filters": applied, "message": f"{notice}\n{message}".strip()}


@guarded
async def product_details(sku: str, tool_context: ToolContext | None = None) -> dict[str, Any]:
    """Ficha de un producto: características, stock y precio.

    Args:
      sku: código del producto (ej. "NB-ASU-00001").
    """
    skus = parse_skus(sku)
    code = skus[0] if skus else ""
    if not code:
        return {"ok": False, "found": False, "message": replies.ASK_SKU}
    engine = await runtime.get_engine()
    async with engine.connect() as conn:
        product = await product_by_sku(conn, code)
        if product is None or not product.active:
            return {"ok": False, "found": False, "sku": code, "message": replies.product_not_found(code)}
        customer = await pricing_customer(conn, tool_context)
        price = (await quotes(conn, [product], customer))[product.id]
        by_warehouse = (await stock_by_warehouse(conn, [product.id]))[product.id]
    total = sum(item.units for item in by_warehouse)
    shown = shown_prices(price)
    message = replies.product_sheet(
        name=product.name, sku=product.sku, brand=product.brand, description=product.description,
        features=[_feature(k, v) for k, v in product.attributes.items()], list_price=shown["list_price"], tier=customer.tier,
        tier_discount=shown["tier_discount"] if price.tier_discount else None, promotion=price.promotion,
        promotion_discount=shown["promotion_discount"] if price.promotion_discount else None,
        final_price=shown["price"], stock_total=total,
        stock_where=[(item.city, item.units) for item in by_warehouse],
    )
    return {"ok": True, "found": True, "sku": product.sku, "name": product.name, "brand": product.brand,
            "category_id": product.category_id, "attributes": product.attributes, "iva_rate": product.iva_rate,
            "stock_total": total, "stock_by_warehouse": [item.model_dump() for item in by_warehouse],
            **price_data(price), "message": message}


def _compared_features(product: Product, keys: list[str]) -> str:
    """The product's values for `keys` (every compared product's attribute names), in that order."""
    return "; ".join(_feature(k, product.attributes[k]) for k in keys if k in product.attributes)


@guarded
async def compare_products(skus: str, tool_context: ToolContext | None = None) -> dict[str, Any]:
    """Compara de 2 a 4 productos: precio, stock y características.

    Args:
      skus: códigos de los productos, separados por coma.
    """
    codes = parse_skus(skus)
    if len(codes) < 2:
        return {"ok": False, "products": [], "message": replies.COMPARE_NEEDS_SKUS}
    dropped = codes[MAX_COMPARED:]
    codes = codes[:MAX_COMPARED]
    engine = await runtime.get_engine()
    async with engine.connect() as conn:
        found = [p for p in [await product_by_sku(conn, code) for code in codes] if p is not None and p.active]
        missing = [code for code in codes if code not in {p.sku for p in found}]
        customer = await pricing_customer(conn, tool_context)
        prices = await quotes(conn, found, customer)
        units = await stock_levels(conn, [p.id for p in found])
    if len(found) < 2:
        return {"ok": False, "products": [], "missing": missing, "message": replies.not_enough_to_compare(missing)}
    keys: list[str] = []
    for product in found:
        keys += [k for k in product.attributes if k not in keys]
    rows = [{"sku": p.sku, "name": p.name, "brand": p.brand, "stock": units[p.id], "attributes": p.attributes,
             **price_data(prices[p.id])} for p in found]
    lines = [replies.product_line(p.name, p.sku, price_text(prices[p.id]), units[p.id]) + f". {_compared_features(p, keys)}"
             for p in found]
    cheapest = min(found, key=lambda p: prices[p.id].final_price)
    return {"ok": True, "products": rows, "missing": missing, "cheapest_sku": cheapest.sku,
            "message": replies.comparison(lines, cheapest.name, missing, dropped)}
