"""What the scripted model does for the shop with `LLM_MODEL=scripted`: pass the customer's
words to the specialist's main tool and relay its message (a literal-minded small model)."""

from __future__ import annotations

import re

from ecommerce_agent.specialists import Specialist
from tools.llm.scripted import Reply, View
from tools.shop.entities import extract


def demo_policy(view: View) -> Reply | None:
    if view.responses:
        return None  # relay the tools' messages
    if "Clasificá" in view.system:
        return Reply.say('{"intent": "general_inquiry"}')
    text = view.user_text
    found = extract(text)
    match view.agent:
        case Specialist.CATEGORY:
            return Reply.call("find_categories", query=text)
        case Specialist.PRODUCT:
            price = found.price_range.max if found.price_range and found.price_range.max else ""
            return Reply.call("search_catalog", query=text, max_price=str(price))
        case Specialist.PROMOTIONS:
            if found.coupon_codes:
                return Reply.call("redeem_coupon_code", code=found.coupon_codes[0])
            return Reply.call("my_promotions")
        case Specialist.TRACKING:
            if found.order_numbers:
                return Reply.call("track_order", order_number=found.order_numbers[0])
            return Reply.call("my_recent_orders")
        case Specialist.SUPPORT:
            if re.search(r"\bticket\b", text, re.IGNORECASE):
                return Reply.call("open_support_ticket", subject=text[:80], description=text)
            return Reply.call("search_help", query=text)
        case Specialist.INVOICE:
            return Reply.call("request_invoice", order_number=found.order_numbers[0] if found.order_numbers else "")
    return None
