"""What several shop tool modules share: the clock, the error guard, the session customer, cached lookups, prices.

Conventions of every shop tool (one module per specialist: `catalog_tools`,
`product_tools`, `promotion_tools`, `tracking_tools`, `support_tools`, `invoice_tools`):

- The customer is always the session's (`session_customer`): no tool takes a customer
  id, e-mail or tier as an argument.
- Every price, discount and total comes from the database through `pricing.quote`
  for that customer's tier (`quotes`); nothing the model types can change an amount.
- Catalog lookups (category tree and paths, products by SKU) and each customer's
  promotions go through `tools.shop.cache`; stock levels are always read live.
- Each tool returns a dict with data for the model and a ready Spanish `message`
  (the wording is in `tools.shop.replies`).
- Arguments are tolerant (`tools.shop.parsing`): prices as "800 mil", "$1.200.000" or
  800000; SKUs in any case, as a list or a comma separated string; order numbers as
  "#4.581.230".
- A model's arguments are held against the customer's own words of this turn
  (`customer_words`): price bounds, currency and brand come from what the customer wrote,
  and a coupon is redeemed only when the customer wrote its code and asked to use it.
- Prices are shown in whole pesos (`shown_price`); amounts already charged (order totals,
  invoices) keep their centavos (`charged_amount`). Computations stay exact in centavos.
- "Today" is `now()` and the database is `runtime.get_engine()`, both looked up at call
  time, so tests patch `tool_common.now` and `runtime.get_engine`.

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

from tools.llm.message import customer_text
from tools.observability import record_tool_error
from tools.shop import catalog, replies, runtime
from tools.shop.cache import CATALOG, get_cache
from tools.shop.carriers import ARGENTINA
from tools.shop.money import format_ars, format_price, shown_cents, to_cents
from tools.shop.orders import order_for_customer
from tools.shop.parsing import normalize_order_number
from tools.shop.pricing import customer_promotions, quote
from tools.shop.records import CategoryNode, Customer, Order, PriceQuote, Product

log = logging.getLogger(__name__)

ToolResult = dict[str, Any]

GUEST = Customer(id="", user_id="", name=replies.GUEST_NAME, email="", tier="basic", role="customer")
"""Prices for a session that is not a registered customer: list price and public promotions only."""

NOT_IDENTIFIED: ToolResult = {"ok": False, "error": "not_identified", "message": replies.NOT_IDENTIFIED}
TECHNICAL_ERROR: ToolResult = {"ok": False, "error": "technical", "message": replies.TECHNICAL_PROBLEM}


def now() -> datetime:
    """The current moment (UTC), the one clock of every shop tool. Tests patch `tools.shop.tool_common.now`."""
    return datetime.now(UTC)


def guarded(func: Callable[..., Awaitable[ToolResult]]) -> Callable[..., Awaitable[ToolResult]]:
    """An unexpected failure becomes a polite Spanish message instead of an aborted turn."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> ToolResult:
        try:
            return await func(*args, **kwargs)
        except Exception:
            log.exception("tool %s failed", func.__name__)
            context = kwargs.get("tool_context")
            record_tool_error(getattr(context, "agent_name", "shop"), func.__name__)
            return dict(TECHNICAL_ERROR)

    return wrapper


async def session_customer(conn: AsyncConnection, tool_context: ToolContext | None) -> Customer | None:
    """The customer the session's user is, or None (no context, or not a registered customer)."""
    user_id = getattr(tool_context, "user_id", None)
    return await catalog.customer_by_user_id(conn, user_id) if user_id else None


async def pricing_customer(conn: AsyncConnection, tool_context: ToolContext | None) -> Customer:
    """Whom to price for: the session customer, or `GUEST` for anyone else."""
    return await session_customer(conn, tool_context) or GUEST


async def category_paths(conn: AsyncConnection) -> tuple[dict[str, list[str]], dict[str, str]]:
    """`catalog.category_paths` (each category's path up to its root, and the names), cached."""

    async def load() -> dict[str, Any]:
        paths, names = await catalog.category_paths(conn)
        return {"paths": paths, "names": names}

    found = await get_cache().remember(CATALOG, "category-paths", load)
    return found["paths"], found["names"]


async def category_tree(conn: AsyncConnection) -> list[CategoryNode]:
    """`catalog.category_tree` (with product counts), cached."""

    async def load() -> list[dict[str, Any]]:
        return [root.model_dump(mode="json") for root in await catalog.category_tree(conn)]

    return [CategoryNode.model_validate(root) for root in await get_cache().remember(CATALOG, "category-tree", load)]


async def product_by_sku(conn: AsyncConnection, sku: str) -> Product | None:
    """`catalog.product_by_sku`, cached (an unknown SKU is not)."""

    async def load() -> dict[str, Any] | None:
        product = await catalog.product_by_sku(conn, sku)
        return product.model_dump(mode="json") if product else None

    found = await get_cache().remember(CATALOG, f"sku:{sku}", load)
    return Product.model_validate(found) if found else None


async def quotes(conn: AsyncConnection, items: list[Product], customer: Customer) -> dict[int, PriceQuote]:
    """Each product's price for `customer` now (tier discount and the best automatic promotion)."""
    paths, _ = await category_paths(conn)
    when = now()
    automatic = (await customer_promotions(conn, customer, when, get_cache())).at(when, coupons=False)
    return {product.id: quote(product, customer, automatic, paths.get(product.category_id)) for product in items}


def shown_price(amount: Decimal) -> str:
    """A price as the shop shows it, in whole pesos: "$1.234.567"."""
    return format_price(to_cents(amount))


def charged_amount(amount: Decimal) -> str:
    """An amount charged or invoiced, to the centavo: "$1.234.567,89" ("$15.000" when whole)."""
    return format_ars(to_cents(amount))


def shown_prices(price: PriceQuote) -> dict[str, str]:
    """A quote as the customer reads it, in whole pesos that add up: list − tier − promotion = price
    (the last discount shown absorbs the rounding, so the figures never disagree by a peso)."""
    listed, final = shown_cents(to_cents(price.list_price)), shown_cents(to_cents(price.final_price))
    tier = shown_cents(to_cents(price.tier_discount)) if price.tier_discount else 0
    if price.promotion_discount:
        promotion = listed - tier - final
    else:
        promotion, tier = 0, listed - final
    return {"price": format_ars(final), "list_price": format_ars(listed), "tier_discount": format_ars(tier),
            "promotion_discount": format_ars(promotion)}


def price_data(price: PriceQuote) -> dict[str, Any]:
    """A quote's fields: shown (whole pesos) and exact (centavos)."""
    return {**shown_prices(price), "price_cents": to_cents(price.final_price),
            "list_price_cents": to_cents(price.list_price), "promotion": price.promotion}


def price_text(price: PriceQuote) -> str:
    """The customer's price, with the list price beside it when it differs."""
    shown = shown_prices(price)
    return replies.price(shown["price"], shown["list_price"])


def customer_words(tool_context: ToolContext | None) -> str | None:
    """What the customer wrote this turn (as the coordinator read it), or None when the tool runs outside a
    conversation (no context, no message): then the arguments are all there is."""
    content = getattr(tool_context, "user_content", None)
    if content is None:
        return None
    return customer_text(content)


async def catalog_brands(conn: AsyncConnection) -> list[str]:
    """`catalog.brands`, cached."""
    return await get_cache().remember(CATALOG, "brands", lambda: catalog.brands(conn))


def local_date(value: datetime | None) -> str | None:
    """A stored UTC moment as its Argentine calendar day, "24/11/2026" (naive values are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ARGENTINA).strftime("%d/%m/%Y")


def ask_order_number() -> ToolResult:
    """The reply when the order number is missing or unreadable."""
    return {"ok": False, "found": False, "message": replies.ASK_ORDER_NUMBER}


def order_not_found(number: str) -> ToolResult:
    """The one reply for a missing order and for someone else's: nothing tells them apart."""
    return {"ok": False, "found": False, "order_number": number, "message": replies.order_not_found(number)}


async def own_order(order_number: str | int, tool_context: ToolContext) -> tuple[AsyncEngine, Customer, Order] | ToolResult:
    """The session customer's order with this number, or the reply to give instead
    (ask for the number, not identified, or not found — another customer's order included)."""
    number = normalize_order_number(str(order_number or ""))
    if number is None:
        return ask_order_number()
    engine = await runtime.get_engine()
    async with engine.connect() as conn:
        customer = await session_customer(conn, tool_context)
        if customer is None:
            return dict(NOT_IDENTIFIED)
        order = await order_for_customer(conn, customer.id, number)
    if order is None:
        return order_not_found(number)
    return engine, customer, order
