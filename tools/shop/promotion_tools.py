"""The promotions_agent's tools: the session customer's promotions and coupons, and redeeming a coupon."""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools.shop import replies, runtime, tool_common
from tools.shop.cache import get_cache
from tools.shop.catalog import get_products
from tools.shop.money import format_ars
from tools.shop.parsing import parse_coupon_code
from tools.shop.pricing import (
    TIER_DISCOUNT_PERCENT,
    RedeemStatus,
    customer_promotions,
    redeem_coupon,
)
from tools.shop.records import Promotion
from tools.shop.tool_common import (
    NOT_IDENTIFIED,
    category_paths,
    guarded,
    local_date,
    session_customer,
)


def _discount(promo: Promotion) -> str:
    """"10 %" or "$20.000"."""
    return f"{promo.value} %" if promo.kind == "percent" else format_ars(promo.value)


def _scope(promo: Promotion, category_names: dict[str, str], product_names: dict[int, str]) -> str:
    """What the promotion covers: a product's name, a category's, or the whole store."""
    if promo.product_id is not None:
        name = product_names.get(promo.product_id, replies.A_PRODUCT)
    elif promo.category_id is not None:
        name = category_names.get(promo.category_id, promo.category_id)
    else:
        name = ""
    return name or replies.WHOLE_STORE


@guarded
async def my_promotions(tool_context: ToolContext) -> dict[str, Any]:
    """Lista las promociones y cupones vigentes que este cliente puede usar, con su vencimiento."""
    engine = await runtime.get_engine()
    async with engine.connect() as conn:
        customer = await session_customer(conn, tool_context)
        if customer is None:
            return dict(NOT_IDENTIFIED)
        when = tool_common.now()
        snapshot = await customer_promotions(conn, customer, when, get_cache())
        promos, used = snapshot.at(when), set(snapshot.redeemed)
        _, category_names = await category_paths(conn)
        product_ids = [p.product_id for p in promos if p.product_id is not None]
        product_names = {p.id: p.name for p in await get_products(conn, product_ids)}
    automatic, coupons = [], []
    for promo in promos:
        item = {"name": promo.name, "code": promo.code, "description": promo.description, "discount": _discount(promo),
                "scope": _scope(promo, category_names, product_names), "min_tier": promo.min_tier,
                "valid_until": local_date(promo.ends_at)}
        if promo.code is None:
            automatic.append(item)
        elif promo.id not in used:
            coupons.append(item)
    tier_percent = TIER_DISCOUNT_PERCENT.get(customer.tier, 0)
    return {"ok": True, "tier": customer.tier, "automatic": automatic, "coupons": coupons,
            "message": replies.my_promotions(customer.tier, tier_percent, automatic, coupons)}


@guarded
async def redeem_coupon_code(code: str, tool_context: ToolContext) -> dict[str, Any]:
    """Aplica un cupón de descuento a la cuenta del cliente (una vez por cliente).

    Args:
      code: el código del cupón tal como lo escribió el cliente (por ejemplo "BIENVENIDA10").
    """
    normalized = parse_coupon_code(code)
    if not normalized:
        return {"ok": False, "status": "missing", "message": replies.ASK_COUPON}
    engine = await runtime.get_engine()
    async with engine.connect() as conn:
        customer = await session_customer(conn, tool_context)
    if customer is None:
        return dict(NOT_IDENTIFIED)
    result = await redeem_coupon(engine, normalized, customer, tool_common.now())
    promo = result.promotion
    base: dict[str, Any] = {"ok": result.status == RedeemStatus.OK, "status": str(result.status), "code": normalized}
    if result.status == RedeemStatus.OK and promo is not None:
        amount, until = _discount(promo), local_date(promo.ends_at)
        return base | {"discount": amount, "valid_until": until,
                       "message": replies.coupon_applied(normalized, amount, until)}
    if result.status == RedeemStatus.NOT_ELIGIBLE and promo is not None:
        return base | {"message": replies.coupon_not_eligible(normalized, promo.min_tier)}
    if result.status == RedeemStatus.EXHAUSTED:
        return base | {"message": replies.coupon_exhausted(normalized)}
    if result.status == RedeemStatus.ALREADY_USED:
        return base | {"message": replies.coupon_already_used(normalized)}
    return base | {"message": replies.coupon_unknown(normalized)}
