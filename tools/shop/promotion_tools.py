"""The promotions_agent's tools: the session customer's promotions and coupons, and redeeming a coupon."""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools import turn_key
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
async def my_promotions(tool_context: ToolContext, code: str = "") -> dict[str, Any]:
    """Promociones y cupones vigentes del cliente; con code, solo ese cupón (no lo aplica).

    Args:
      code: cupón por el que pregunta, si nombró uno.
    """
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
    automatic, coupons, used_codes = [], [], set()
    for promo in promos:
        item = {"name": promo.name, "code": promo.code, "description": promo.description, "discount": _discount(promo),
                "scope": _scope(promo, category_names, product_names), "min_tier": promo.min_tier,
                "valid_until": local_date(promo.ends_at)}
        if promo.code is None:
            automatic.append(item)
        elif promo.id in used:
            used_codes.add(promo.code)
        else:
            coupons.append(item)
    asked = parse_coupon_code(code)
    if asked:
        return _about_coupon(asked, coupons, used_codes)
    tier_percent = TIER_DISCOUNT_PERCENT.get(customer.tier, 0)
    return {"ok": True, "tier": customer.tier, "automatic": automatic, "coupons": coupons,
            "message": replies.my_promotions(customer.tier, tier_percent, automatic, coupons)}


def _about_coupon(code: str, coupons: list[dict[str, Any]], used_codes: set[str]) -> dict[str, Any]:
    """What the customer may do with one coupon, without redeeming it; a usable one is offered."""
    found = next((c for c in coupons if c["code"] == code), None)
    if found is not None:
        return {"ok": True, "code": code, "usable": True, "offer_coupon": code, "coupon": found,
                "message": replies.coupon_available(code, found["discount"], found["scope"], found["valid_until"])}
    if code in used_codes:
        return {"ok": True, "code": code, "usable": False, "message": replies.coupon_already_used(code)}
    return {"ok": True, "code": code, "usable": False,
            "message": replies.coupon_not_available(code, [c["code"] for c in coupons])}


@guarded
async def redeem_coupon_code(code: str, tool_context: ToolContext) -> dict[str, Any]:
    """Aplica un cupón a la cuenta del cliente. Solo si el cliente pidió usar ese código.

    Args:
      code: el código que escribió el cliente (ej. "BIENVENIDA10").
    """
    normalized = parse_coupon_code(code)
    if not normalized:
        return {"ok": False, "status": "missing", "message": replies.ASK_COUPON}
    engine = await runtime.get_engine()
    async with engine.connect() as conn:
        customer = await session_customer(conn, tool_context)
    if customer is None:
        return dict(NOT_IDENTIFIED)
    result = await redeem_coupon(engine, normalized, customer, tool_common.now(), turn_key=turn_key.current())
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
