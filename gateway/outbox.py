"""Messages to customers that no customer turn asked for: order status changes, an operator's replies.

Every such message is first written to `gateway_outbox` (the business database, next to
`gateway_inbox`) under a unique `message_key` (one per status change, one per operator
reply), so a change enqueued twice, by two replicas or by a retry, is one message.
Then it reaches the customer by the conversation's channel:

- web (and any channel but WhatsApp): the row waits (`stored`) until the customer's
  client reads it with `GET /v1/chat/{agent}/messages?after=<id>`;
- WhatsApp: the row is `pending` until a replica claims it (`sending`), sends it through
  the WhatsApp sender and marks it `sent`; a failed send is retried with backoff and
  marked `failed` after `MAX_ATTEMPTS`. A replica that dies between sending and marking
  leaves the row `sending`; after `CLAIM_SECONDS` another replica sends it again (the
  Graph API has no idempotency key: at least once, never lost).

The recipient (a WhatsApp id is a phone number) is stored encrypted (`tools.crypto`).
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.inbox import metadata
from tools.crypto import get_cipher

outbox = Table(  # in the inbox's metadata: `gateway.inbox.create_tables` creates both
    "gateway_outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("message_key", String(200), nullable=False, unique=True),
    Column("agent", String(40), nullable=False),
    Column("session_id", String(100), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("recipient", Text, nullable=False),  # the customer's user id, encrypted
    Column("kind", String(16), nullable=False),  # status | operator
    Column("text", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("state", String(10), nullable=False),  # stored | pending | sending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try_at", Float, nullable=False, default=0.0),
    Column("claimed_by", String(64)),
    Column("last_error", String(300)),
    Index("ix_gateway_outbox_conversation", "agent", "session_id", "id"),
    Index("ix_gateway_outbox_due", "state", "next_try_at"),
)

CLAIM_SECONDS = 120.0  # a `sending` row older than this belonged to a replica that died mid-send
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 5.0  # doubled after each failed attempt: 5 s, 10 s, 20 s... (about 5 minutes in all)
PUSHED_CHANNELS = frozenset({"whatsapp"})  # channels we push to; the others are read by polling


@dataclass(frozen=True)
class Outgoing:
    """A message to enqueue for one conversation's customer."""

    key: str  # unique per message: "order:<order_key>:<status>", "operator:<id>"
    agent: str  # public agent name ("pizzeria", "ecommerce")
    session_id: str
    channel: str
    recipient: str  # the conversation's user id (WhatsApp: the customer's number)
    kind: str
    text: str


@dataclass(frozen=True)
class Delivered:
    """A message as a web customer's client reads it."""

    id: int
    kind: str
    text: str
    at: float


@dataclass(frozen=True)
class Due:
    """A claimed WhatsApp message, to send now."""

    id: int
    recipient: str
    text: str
    attempts: int


class Outbox:
    """The outgoing-message log on one database engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"

    async def enqueue(self, message: Outgoing) -> bool:
        """Record a message (one INSERT); False when its key was already recorded."""
        state = "pending" if message.channel in PUSHED_CHANNELS else "stored"
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(outbox).values(
                    message_key=message.key, agent=message.agent, session_id=message.session_id, channel=message.channel,
                    recipient=get_cipher().encrypt(message.recipient), kind=message.kind, text=message.text,
                    created_at=time.time(), state=state, attempts=0, next_try_at=0.0,
                ))
            return True
        except IntegrityError:
            return False

    async def forget(self, key: str) -> None:
        """Drop a message that must not go out after all (its conversation could not record it)."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(outbox).where(and_(outbox.c.message_key == key, outbox.c.state.in_(("stored", "pending")))))

    async def known(self, keys: list[str]) -> set[str]:
        """Which of `keys` are already recorded (one SELECT per 500 keys)."""
        found: set[str] = set()
        async with self.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = await conn.execute(select(outbox.c.message_key).where(outbox.c.message_key.in_(chunk)))
                found |= {row.message_key for row in rows}
        return found

    async def for_conversation(self, agent: str, session_id: str, after: int, limit: int = 50) -> list[Delivered]:
        """The conversation's messages with an id above `after`, oldest first."""
        query = (
            select(outbox.c.id, outbox.c.kind, outbox.c.text, outbox.c.created_at)
            .where(and_(outbox.c.agent == agent, outbox.c.session_id == session_id, outbox.c.id > after))
            .order_by(outbox.c.id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [Delivered(row.id, row.kind, row.text, row.created_at) for row in await conn.execute(query)]

    async def claim_due(self, limit: int = 20) -> list[Due]:
        """Take WhatsApp messages due now (and ones a dead replica left mid-send); each is claimed by one replica."""
        now = time.time()
        due = or_(
            and_(outbox.c.state == "pending", outbox.c.next_try_at <= now),
            and_(outbox.c.state == "sending", outbox.c.next_try_at <= now - CLAIM_SECONDS),
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                select(outbox.c.id, outbox.c.state, outbox.c.next_try_at, outbox.c.recipient, outbox.c.text, outbox.c.attempts)
                .where(due).order_by(outbox.c.id).limit(limit)
            )).all()
        claimed = []
        for row in rows:
            async with self.engine.begin() as conn:
                taken = await conn.execute(
                    update(outbox)
                    .where(and_(outbox.c.id == row.id, outbox.c.state == row.state, outbox.c.next_try_at == row.next_try_at))
                    .values(state="sending", claimed_by=self.holder, next_try_at=now)
                )
            if taken.rowcount == 1:
                claimed.append(Due(row.id, get_cipher().decrypt(row.recipient) or "", row.text, row.attempts))
        return claimed

    async def sent(self, message_id: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(outbox).where(outbox.c.id == message_id).values(state="sent", last_error=None))

    async def failed(self, due: Due, error: str) -> None:
        """Retry later with backoff, or give up after `MAX_ATTEMPTS`."""
        attempts = due.attempts + 1
        state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        async with self.engine.begin() as conn:
            await conn.execute(update(outbox).where(outbox.c.id == due.id).values(
                state=state, attempts=attempts, last_error=error[:300],
                next_try_at=time.time() + BACKOFF_SECONDS * 2 ** (attempts - 1),
            ))
