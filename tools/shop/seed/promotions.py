"""Seeded promotions and coupons, and the coupon redemptions of earlier purchases."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tools.shop.pricing import discount_cents, in_scope, lowers_price, tier_allows
from tools.shop.records import Promotion
from tools.shop.seed.catalog import first_product
from tools.shop.seed.common import Row, load_vocab, whole_seconds
from tools.shop.seed.people import FIXED_CUSTOMER_IDS, Person


@dataclass
class Promo:
    """A promotion row while orders are being generated (counts its coupon uses).

    Which order lines it covers and how much it takes off follow `tools.shop.pricing`,
    the rules the shop prices with.
    """

    row: Row
    target_uses: int  # redemptions to seed in all: from the generated orders, then from earlier purchases
    redemptions: dict[str, datetime] = field(default_factory=dict)  # customer id -> redeemed at
    record: Promotion = field(init=False)  # the row as pricing's rules read it (scope, value: they never change)

    def __post_init__(self) -> None:
        self.record = Promotion.model_validate(self.row)

    @property
    def is_coupon(self) -> bool:
        return self.row["code"] is not None

    def valid_at(self, moment: datetime, tier: str) -> bool:
        row = self.row
        return (row["active"] and row["starts_at"] <= moment < row["ends_at"]
                and tier_allows(tier, row["min_tier"]) and not self.exhausted)

    @property
    def exhausted(self) -> bool:
        limit = self.row["usage_limit"]
        return limit is not None and len(self.redemptions) >= limit

    def can_redeem(self, customer_id: str) -> bool:
        """A coupon an order may still use: seeded uses left and not yet used by this customer."""
        return (self.is_coupon and len(self.redemptions) < self.target_uses
                and customer_id not in self.redemptions and customer_id not in FIXED_CUSTOMER_IDS)

    def applies_to(self, product: Row, path: tuple[str, ...]) -> bool:
        """A coupon covers its scope; an automatic promotion must also lower the product's price."""
        covers = in_scope if self.is_coupon else lowers_price
        return covers(self.record, product["id"], path)

    def discount(self, lines: list[tuple[Row, int, int]], paths: dict[str, tuple[str, ...]]) -> int:
        """Centavos off the matching lines' after-tier amounts (lines: product, quantity, amount)."""
        base = sum(amount for product, _, amount in lines if self.applies_to(product, paths[product["category_id"]]))
        return discount_cents(self.record, base)


def build_promotions(products: list[Row], reference: datetime) -> list[Promo]:
    """The promotions and coupons of the vocabulary, their windows relative to `reference`."""
    promos = []
    for promo_id, spec in enumerate(load_vocab("shop_vocab.json")["promotions"], start=1):
        target = spec.get("product")  # a product promotion names its product by category and brand
        product_id = first_product(products, target["category_id"], brand=target["brand"])["id"] if target else None
        value = spec["value"] * 100 if spec["kind"] == "fixed" else spec["value"]
        row = {
            "id": promo_id, "code": spec["code"], "name": spec["name"], "description": spec["description"],
            "kind": spec["kind"], "value": value, "category_id": spec.get("category_id"), "product_id": product_id,
            "min_tier": spec.get("min_tier"), "starts_at": reference + timedelta(days=spec["starts"]),
            "ends_at": reference + timedelta(days=spec["ends"]), "usage_limit": spec.get("usage_limit"),
            "used_count": 0, "active": spec.get("active", True),
        }
        promos.append(Promo(row, spec.get("uses", 0)))
    return promos


def fill_redemptions(promos: list[Promo], people: list[Person], reference: datetime, rng: random.Random) -> None:
    """Top coupons up to their seeded use count with redemptions from earlier purchases."""
    for promo in promos:
        row = promo.row
        if not promo.is_coupon or row["starts_at"] >= reference:
            continue
        eligible = [p for p in people if p.id not in FIXED_CUSTOMER_IDS and p.id not in promo.redemptions
                    and tier_allows(p.tier, row["min_tier"])]
        rng.shuffle(eligible)
        window = (min(row["ends_at"], reference) - row["starts_at"]).total_seconds()
        while len(promo.redemptions) < promo.target_uses and not promo.exhausted and eligible:
            moment = row["starts_at"] + timedelta(seconds=rng.uniform(0, window))
            promo.redemptions[eligible.pop().id] = whole_seconds(moment)
    for promo in promos:
        promo.row["used_count"] = len(promo.redemptions)


def redemption_rows(promos: list[Promo]) -> list[Row]:
    """The `coupon_redemptions` rows, in the order they happened."""
    ordered = sorted((at, p.row["id"], cid) for p in promos for cid, at in p.redemptions.items())
    return [{"id": i, "promotion_id": pid, "customer_id": cid, "redeemed_at": at}
            for i, (at, pid, cid) in enumerate(ordered, start=1)]
