"""The product_agent's tools: catalog search, a product's details and side-by-side comparison, priced for the session."""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools.shop import replies, runtime
from tools.shop.catalog import get_products, stock_by_warehouse, stock_levels
from tools.shop.parsing import parse_amount, parse_flag, parse_skus
from tools.shop.records import Product
from tools.shop.search import search_products
from tools.shop.search_index import attribute_value
from tools.shop.tool_common import (
    ars,
    guarded,
    price_data,
    price_text,
    pricing_customer,
    product_by_sku,
    quotes,
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
        return {"ok": False, "products": [], "message": replies.ASK_PRODUCT_QUERY}
    low, high = parse_amount(min_price), parse_amount(max_price)
    if low and high and low > high:
        low, high = high, low
    wanted_brand = " ".join(str(brand or "").split()) or None
    only_in_stock = parse_flag(in_stock)
    engine = await runtime.get_engine()
    index = await runtime.get_index()
    hits = await search_products(engine, index, text, brand=wanted_brand, in_stock=only_in_stock, limit=CANDIDATES)
    async with engine.connect() as conn:
        customer = await pricing_customer(conn, tool_context)
        found = await get_products(conn, [hit.id for hit in hits])
        prices = await quotes(conn, found, customer)
    units = {hit.id: hit.stock for hit in hits}
    results = []
    lines = []
    for product in found:
        price = prices[product.id]
        if high is not None and price.final_price > high:
            continue
        if low is not None and price.final_price < low:
            continue
        results.append({"sku": product.sku, "name": product.name, "brand": product.brand,
                        "category_id": product.category_id, "stock": units.get(product.id, 0), **price_data(price)})
        lines.append(replies.product_line(product.name, product.sku, price_text(price), units.get(product.id, 0)))
        if len(results) == MAX_RESULTS:
            break
    if not results:
        return {"ok": True, "products": [],
                "message": replies.no_products_found(text, wanted_brand, ars(high) if high is not None else None,
                                                     ars(low) if low is not None else None, only_in_stock)}
    return {"ok": True, "products": results, "message": replies.products_found(lines)}


@guarded
async def product_details(sku: str, tool_context: ToolContext | None = None) -> dict[str, Any]:
    """Ficha de un producto: características, stock y precio para este cliente.

    Args:
      sku: el código del producto (por ejemplo "NB-ASU-00001").
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
    message = replies.product_sheet(
        name=product.name, sku=product.sku, brand=product.brand, description=product.description,
        features=[_feature(k, v) for k, v in product.attributes.items()], list_price=ars(price.list_price), tier=customer.tier,
        tier_discount=ars(price.tier_discount) if price.tier_discount else None, promotion=price.promotion,
        promotion_discount=ars(price.promotion_discount) if price.promotion_discount else None,
        final_price=ars(price.final_price), stock_total=total,
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
async def compare_products(skus: list[str] | str, tool_context: ToolContext | None = None) -> dict[str, Any]:
    """Compara de 2 a 4 productos lado a lado (precio para este cliente, stock y características).

    Args:
      skus: los códigos de los productos, como lista o separados por coma.
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
