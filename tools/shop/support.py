"""Support tickets: opened for the session's customer when the knowledge base has no answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tools.shop.schema import support_tickets

PRIORITIES = ("low", "normal", "high")


class Ticket(BaseModel):
    id: int
    customer_id: str
    subject: str
    description: str
    status: str
    priority: str
    created_at: datetime


async def open_ticket(
    conn: AsyncConnection, customer_id: str, subject: str, description: str, now: datetime, priority: str = "normal",
    *, turn_key: str | None = None,
) -> Ticket:
    """Open a ticket; subject and description are cut to sane lengths (they come from chat text).

    With `turn_key` (the service turn's idempotency key) a ticket already opened by that
    turn is returned instead of opening another: a retried turn opens one ticket.
    """
    if turn_key is not None:
        row = (await conn.execute(select(support_tickets).where(support_tickets.c.turn_key == turn_key))).first()
        if row is not None:
            return Ticket.model_validate(dict(row._mapping))
    if priority not in PRIORITIES:
        priority = "normal"
    values = {
        "customer_id": customer_id,
        "subject": " ".join(subject.split())[:200] or "Consulta de soporte",
        "description": description.strip()[:4000],
        "status": "open",
        "priority": priority,
        "created_at": now,
        "turn_key": turn_key,
    }
    result = await conn.execute(insert(support_tickets).values(**values))
    return Ticket(id=result.inserted_primary_key[0], **values)


async def tickets_for_customer(conn: AsyncConnection, customer_id: str, limit: int = 10) -> list[Ticket]:
    rows = (await conn.execute(
        select(support_tickets).where(support_tickets.c.customer_id == customer_id)
        .order_by(support_tickets.c.created_at.desc(), support_tickets.c.id.desc()).limit(limit)
    )).all()
    return [Ticket.model_validate(dict(row._mapping)) for row in rows]
