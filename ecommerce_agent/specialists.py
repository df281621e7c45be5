"""The shop's specialists, named once: the supervisor, the router, the prompts and the demo policy use these."""

from __future__ import annotations

from enum import StrEnum


class Specialist(StrEnum):
    CATEGORY = "category_agent"  # walks the category tree
    PRODUCT = "product_agent"  # searches, details and compares products
    PROMOTIONS = "promotions_agent"  # the customer's promotions and coupons
    TRACKING = "tracking_agent"  # where an order is
    SUPPORT = "support_agent"  # help articles and tickets; general questions too
    INVOICE = "invoice_agent"  # invoices of the customer's orders
