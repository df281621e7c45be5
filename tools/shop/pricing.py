"""Prices for a customer and coupon redemption, computed in code from the database.

A customer's price = list price − tier discount − the best automatic promotion
that applies (by product, category or tier, inside its validity window). Coupons
are separate: `redeem_coupon` checks and counts one use atomically. Which products a
promotion covers (`in_scope`, `lowers_price`), how much it takes off (`discount_cents`)
and who may use it (`tier_allows`) are pure functions the seed's orders follow too.

The agent tools read a customer's promotions through the cache
(`customer_promotions`): a snapshot complete for the next `CACHE_TTL_S` seconds,
filtered by the clock on every read, so a promotion that starts or ends within
the hour is shown exactly while it is valid. Redemptions invalidate it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tools.shop.cache import PROMOTIONS, Cache, get_cache
from tools.shop.money import percent_of, pesos, to_cents
from tools.shop.records import Customer, PriceQuote, Product, Promotion
from tools.shop.schema import TIERS, coupon_redemptions, promotions

TIER_DISCOUNT_PERCENT = {"basic": 0, "premium": 5, "vip": 10}
"""Standing discount on list prices per customer tier."""


def tier_rank(tier: str | None) -> int:
    """0 for basic (and unknown tiers), then premium, vip."""
    return TIERS.index(tier) if tier in TIERS else 0


def tier_allows(tier: str, min_tier: str | None) -> bool:
    """Whether a customer of `tier` may use a promotion for `min_tier` and above (None: everyone)."""
    return min_tier is None or tier_rank(tier) >= tier_rank(min_tier)


def _eligible_tiers(tier: str) -> list[str]:
    return [t for t in TIERS if tier_rank(t) <= tier_rank(tier)]


def _usable(customer: Customer, start: datetime, until: datetime):  # type: ignore[no-untyped-def]
    """Active, uses left, open at some moment of [start, until], and allowed for the customer's tier."""
    return and_(
        promotions.c.active.is_(True),
        promotions.c.starts_at <= until,
        promotions.c.ends_at > start,
        or_(promotions.c.usage_limit.is_(None), promotions.c.used_count < promotions.c.usage_limit),
        or_(promotions.c.min_tier.is_(None), promotions.c.min_tier.in_(_eligible_tiers(customer.tier))),
    )


async def active_promotions(conn: AsyncConnection, customer: Customer, now: datetime, *, coupons: bool = True) -> list[Promotion]:
    """Promotions valid now that this customer's tier may use (coupons included unless told)."""
    query = select(promotions).where(_usable(customer, now, now))
    if not coupons:
        query = query.where(promotions.c.code.is_(None))
    rows = (await conn.execute(query.order_by(promotions.c.ends_at))).all()
    return [Promotion.from_row(row) for row in rows]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


class PromotionSnapshot(BaseModel):
    """What a customer may use at any moment of [start, until]: the promotions open then
    (tier, uses left) and the coupons they already redeemed. Read it with `at(now)`."""

    start: datetime
    until: datetime
    promotions: list[Promotion]
    redeemed: list[int]  # promotion ids

    def covers(self, now: datetime) -> bool:
        return _utc(self.start) <= _utc(now) <= _utc(self.until)

    def at(self, now: datetime, *, coupons: bool = True) -> list[Promotion]:
        """Same as `active_promotions` at `now` (inside [start, until])."""
        moment = _utc(now)
        return [p for p in self.promotions
                if _utc(p.starts_at) <= moment < _utc(p.ends_at) and (coupons or p.code is None)]


async def promotion_snapshot(conn: AsyncConnection, customer: Customer, start: datetime, until: datetime) -> PromotionSnapshot:
    rows = (await conn.execute(
        select(promotions).where(_usable(customer, start, until)).order_by(promotions.c.ends_at)
    )).all()
    redeemed = (await conn.execute(
        select(coupon_redemptions.c.promotion_id).where(coupon_redemptions.c.customer_id == customer.id)
    )).scalars().all()
    return PromotionSnapshot(start=start, until=until, promotions=[Promotion.from_row(row) for row in rows],
                             redeemed=sorted(redeemed))


async def customer_promotions(conn: AsyncConnection, customer: Customer, now: datetime, cache: Cache) -> PromotionSnapshot:
    """`promotion_snapshot` for [now, now + TTL] through `cache`, per customer and tier.

    `cache` must belong to `conn`'s database (`get_cache()` for the runtime engine).
    """
    key = f"{customer.id}:{customer.tier}"
    version = await cache.version(PROMOTIONS)
    found = await cache.get_json(PROMOTIONS, version, key)
    if found is not None:
        cached = PromotionSnapshot.model_validate(found)
        if cached.covers(now):
            return cached
    snapshot = await promotion_snapshot(conn, customer, now, now + timedelta(seconds=cache.ttl))
    await cache.set_json(PROMOTIONS, version, key, snapshot.model_dump(mode="json"))
    return snapshot


def in_scope(promotion: Promotion, product_id: int, category_path: Sequence[str]) -> bool:
    """Whether the promotion covers the product: its product, its category or an ancestor (no scope: all).

    `category_path`: the product's category and its ancestors.
    """
    return (promotion.product_id is None or promotion.product_id == product_id) and (
        promotion.category_id is None or promotion.category_id in category_path
    )


def lowers_price(promotion: Promotion, product_id: int, category_path: Sequence[str]) -> bool:
    """Whether an automatic promotion (no code) lowers this product's price.

    It must cover the product; a store-wide promotion without scope (no product, no
    category, no tier) is a coupon's job, not a price.
    """
    store_wide = promotion.product_id is None and promotion.category_id is None and promotion.min_tier is None
    return not store_wide and in_scope(promotion, product_id, category_path)


def discount_cents(promotion: Promotion, amount_cents: int) -> int:
    """Centavos the promotion takes off an amount: a percentage of it, or a fixed sum capped at it."""
    off = percent_of(amount_cents, promotion.value) if promotion.kind == "percent" else promotion.value
    return min(off, amount_cents)


async def price_for(
    conn: AsyncConnection, product: Product, customer: Customer, now: datetime, category_path: list[str] | None = None
) -> PriceQuote:
    """`product`'s price for `customer` now. `category_path`: the product's category and its ancestors."""
    return quote(product, customer, await active_promotions(conn, customer, now, coupons=False), category_path)


def quote(product: Product, customer: Customer, automatic: list[Promotion], category_path: list[str] | None = None) -> PriceQuote:
    """`product`'s price given `automatic`: the promotions without code valid now for `customer`."""
    list_cents = to_cents(product.price)
    tier_cents = percent_of(list_cents, TIER_DISCOUNT_PERCENT.get(customer.tier, 0))
    after_tier = list_cents - tier_cents
    path = category_path or [product.category_id]
    best: tuple[int, Promotion | None] = (0, None)
    for promo in automatic:
        if lowers_price(promo, product.id, path):
            off = discount_cents(promo, after_tier)
            if off > best[0]:
                best = (off, promo)
    return PriceQuote(
        product_id=product.id,
        list_price=pesos(list_cents),
        tier_discount=pesos(tier_cents),
        promotion_discount=pesos(best[0]),
        promotion=best[1].name if best[1] else None,
        final_price=pesos(after_tier - best[0]),
    )


class RedeemStatus(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"  # no such code (or not valid now)
    NOT_ELIGIBLE = "not_eligible"  # the customer's tier may not use it
    EXHAUSTED = "exhausted"  # usage limit reached
    ALREADY_USED = "already_used"  # this customer already redeemed it


class RedeemResult(BaseModel):
    status: RedeemStatus
    promotion: Promotion | None = None


async def redeem_coupon(engine: AsyncEngine, code: str, customer: Customer, now: datetime, *,
                        turn_key: str | None = None) -> RedeemResult:
    """Use coupon `code` once for `customer`, in its own transaction.

    The usage counter moves with one conditional UPDATE (used_count < usage_limit),
    and the per-customer row has a unique constraint, so under any concurrency a
    coupon with limit N is redeemed exactly N times and once per customer. The row
    keeps `turn_key` (the service turn's idempotency key): the same turn retried gets
    OK again, without counting a second use.
    """
    normalized = code.strip().upper()
    try:
        result = await _redeem(engine, normalized, customer, now, turn_key)
    except _AlreadyUsed as used:
        promotion: Promotion = used.args[0]
        if turn_key is not None and await _redeemed_by(engine, promotion, customer) == turn_key:
            return RedeemResult(status=RedeemStatus.OK, promotion=promotion)
        return RedeemResult(status=RedeemStatus.ALREADY_USED, promotion=promotion)
    if result.status in (RedeemStatus.OK, RedeemStatus.EXHAUSTED):  # counts moved, or a cached list still offers it
        await get_cache().invalidate(PROMOTIONS)
    return result


class _AlreadyUsed(Exception):
    """Raised inside the transaction so it rolls back, giving the counted use back."""


async def _redeemed_by(engine: AsyncEngine, promotion: Promotion, customer: Customer) -> str | None:
    """The turn key of the customer's redemption of `promotion`."""
    async with engine.connect() as conn:
        return (await conn.execute(select(coupon_redemptions.c.turn_key).where(
            coupon_redemptions.c.promotion_id == promotion.id, coupon_redemptions.c.customer_id == customer.id))).scalar()


async def _redeem(engine: AsyncEngine, normalized: str, customer: Customer, now: datetime,
                  turn_key: str | None) -> RedeemResult:
    async with engine.begin() as conn:
        row = (await conn.execute(
            select(promotions).where(promotions.c.code == normalized, promotions.c.active.is_(True),
                                     promotions.c.starts_at <= now, promotions.c.ends_at > now)
        )).first()
        if row is None:
            return RedeemResult(status=RedeemStatus.UNKNOWN)
        promotion = Promotion.from_row(row)
        if not tier_allows(customer.tier, promotion.min_tier):
            return RedeemResult(status=RedeemStatus.NOT_ELIGIBLE, promotion=promotion)
        claimed = await conn.execute(
            update(promotions)
            .where(promotions.c.id == promotion.id,
                   or_(promotions.c.usage_limit.is_(None), promotions.c.used_count < promotions.c.usage_limit))
            .values(used_count=promotions.c.used_count + 1)
        )
        if claimed.rowcount != 1:
            return RedeemResult(status=RedeemStatus.EXHAUSTED, promotion=promotion)
        try:
            await conn.execute(insert(coupon_redemptions).values(
                promotion_id=promotion.id, customer_id=customer.id, redeemed_at=now, turn_key=turn_key))
        except IntegrityError as exc:
            raise _AlreadyUsed(promotion) from exc
    return RedeemResult(status=RedeemStatus.OK, promotion=promotion)
