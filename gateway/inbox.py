"""Inbound messages: processed once, one at a time per conversation, in arrival order, across replicas.

Every message (a WhatsApp delivery or a `/v1/chat` request) is first written to
`gateway_inbox`. The unique `message_id` makes a duplicate delivery (Meta retries,
or the same message delivered to two replicas) a no-op. Then whoever holds the
conversation's lease (`gateway_leases`, one row per conversation, with an expiry so a
crashed replica cannot block a customer forever) drains that conversation's pending
messages in `id` order. A burst of three messages therefore runs as three turns in
order, whichever replica received each one; different conversations run concurrently.

Both tables live in our business database (`DATABASE_URL`, schema `DATABASE_SCHEMA`
on PostgreSQL), apart from ADK's session tables.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.text import clean_text

log = logging.getLogger(__name__)

metadata = MetaData()

inbox = Table(
    "gateway_inbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("message_id", String(200), nullable=False, unique=True),
    Column("conversation", String(200), nullable=False, index=True),  # agent:channel:user
    Column("text", Text, nullable=False),
    Column("status", String(10), nullable=False, default="pending"),  # pending | done
    Column("reply", Text),
    Column("received_at", Float, nullable=False),
    Column("done_at", Float),
)

leases = Table(
    "gateway_leases",
    metadata,
    Column("conversation", String(200), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
)

CREATE_LOCK_ID = 7_310_002  # pg_advisory_xact_lock key: replicas starting together create the tables once
LEASE_SECONDS = 300.0  # longer than any turn (model timeout × call cap); a crashed holder frees it after this
POLL_SECONDS = (0.005, 0.2)  # first and longest wait between attempts to take a busy lease


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CREATE_LOCK_ID})
        await conn.run_sync(metadata.create_all, checkfirst=True)


@dataclass(frozen=True)
class Pending:
    id: int
    message_id: str
    text: str


Handler = Callable[[Pending], Awaitable[str]]


class Inbox:
    """The message log and per-conversation leases on one database engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"

    async def submit(self, conversation: str, message_id: str, message_text: str, done_reply: str | None = None) -> bool:
        """Record a message; False when this `message_id` was already received (a duplicate).

        `done_reply` records a message that needs no turn (e.g. a photo: the reply asks for text).
        The text is stored cleaned (no lone surrogates or NULs, which break encoders and PostgreSQL).
        """
        message_text = clean_text(message_text)
        status = "pending" if done_reply is None else "done"
        now = time.time()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(inbox).values(
                        message_id=message_id, conversation=conversation, text=message_text, status=status,
                        reply=done_reply, received_at=now, done_at=None if done_reply is None else now,
                    )
                )
            return True
        except IntegrityError:
            return False

    async def reply_to(self, message_id: str) -> str | None:
        """The reply stored for a processed message (None while pending or unknown)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(inbox.c.status, inbox.c.reply).where(inbox.c.message_id == message_id))).first()
        return row.reply if row and row.status == "done" else None

    async def drain(self, conversation: str, handler: Handler) -> list[tuple[Pending, str]]:
        """Take the conversation's lease and process its pending messages in arrival order.

        Returns what this call processed (possibly nothing: another holder got there first).
        """
        await self._acquire(conversation)
        done: list[tuple[Pending, str]] = []
        try:
            while (message := await self._next(conversation)) is not None:
                reply = await handler(message)
                async with self.engine.begin() as conn:
                    await conn.execute(
                        update(inbox).where(inbox.c.id == message.id).values(status="done", reply=reply, done_at=time.time())
                    )
                done.append((message, reply))
        finally:
            await self._release(conversation)
        return done

    async def _next(self, conversation: str) -> Pending | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(inbox.c.id, inbox.c.message_id, inbox.c.text)
                    .where(and_(inbox.c.conversation == conversation, inbox.c.status == "pending"))
                    .order_by(inbox.c.id)
                    .limit(1)
                )
            ).first()
        return Pending(row.id, row.message_id, row.text) if row else None

    async def _acquire(self, conversation: str) -> None:
        wait, longest = POLL_SECONDS
        while not await self._try_acquire(conversation):
            await asyncio.sleep(wait)
            wait = min(longest, wait * 2)

    async def _try_acquire(self, conversation: str) -> bool:
        now = time.time()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(leases).values(conversation=conversation, holder=self.holder, expires_at=now + LEASE_SECONDS))
            return True
        except IntegrityError:
            pass
        async with self.engine.begin() as conn:  # the lease exists: take it over only if it has expired
            taken = await conn.execute(
                update(leases)
                .where(and_(leases.c.conversation == conversation, leases.c.expires_at < now))
                .values(holder=self.holder, expires_at=now + LEASE_SECONDS)
            )
        if taken.rowcount == 1:
            log.warning("took over an expired conversation lease (a replica died mid-turn?)")
            return True
        return False

    async def _release(self, conversation: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(leases).where(and_(leases.c.conversation == conversation, leases.c.holder == self.holder)))
