"""Seeded knowledge-base articles and support tickets."""

from __future__ import annotations

import json
from datetime import datetime

from tools.shop.seed.common import Row, in_hours, load_vocab


def build_kb_articles() -> list[Row]:
    """The help articles the support agent searches."""
    return [
        {"id": i, "kind": a["kind"], "title": a["title"], "body": a["body"], "category_id": a["category_id"],
         "tags": json.dumps(a["tags"], ensure_ascii=False)}
        for i, a in enumerate(load_vocab("kb_articles.json"), start=1)
    ]


def build_support_tickets(reference: datetime) -> list[Row]:
    """A few open and closed tickets, dated before `reference`."""
    return [
        {"id": i, "customer_id": t["customer_id"], "subject": t["subject"], "description": t["description"],
         "status": t["status"], "priority": t["priority"], "created_at": reference - in_hours(t["hours_ago"])}
        for i, t in enumerate(load_vocab("shop_vocab.json")["support_tickets"], start=1)
    ]
