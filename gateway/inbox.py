"""Inbound messages: processed once, one at a time per conversation, in arrival order, across replicas.

Every message (a WhatsApp delivery or a `/v1/chat` request) is first written to
`gateway_inbox`. The unique `message_id` (a keyed hash of the conversation and the
message's own id: WhatsApp's, or the client's `Idempotency-Key`) makes a duplicate
delivery a no-op; the same key with another text is a `CONFLICT`. Then whoever holds
the conversation's lease (`gateway_leases`, one row per conversation) drains that
conversation's pending messages in `id` order, so a burst runs as ordered turns
whichever replica received each message, and different conversations run concurrently.

Nothing accepted is lost:

- leases are short (`LEASE_SECONDS`) and renewed by a heartbeat while their holder
  runs turns, so a replica killed mid-turn frees the conversation within seconds. The
  heartbeat has its own thread, event loop and engine: an event loop busy for longer than
  a lease (a first turn seeding the shop, a slow CPU) does not lose it to another replica;
- every replica drains, on start and every `RECOVER_SECONDS`, the conversations that
  have pending messages and a free lease (`recover`), and a redelivered message that is
  still pending is drained again instead of being dropped;
- each try is counted before it runs; a message that fails (or whose turn was cut by a
  crash) `MAX_ATTEMPTS` times is marked `failed` with the reason, and the handler's
  apology is its reply.

At rest the inbox holds no personal data in clear: conversations and message ids are
keyed hashes, the customer's id, the text and the reply are encrypted (`tools.crypto`),
and the text is emptied once answered (the reply stays, for a client's retry).

Both tables live in our business database (`DATABASE_URL`, schema `DATABASE_SCHEMA`
on PostgreSQL), apart from ADK's session tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    String,
    Table,
    Text,
    and_,
    delete,
    exists,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.leases import HEARTBEAT_SECONDS, LEASE_SECONDS, Heartbeat, leases, metadata
from tools.crypto import get_cipher
from tools.text import clean_text

log = logging.getLogger(__name__)


inbox = Table(
    "gateway_inbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("message_id", String(200), nullable=False, unique=True),  # keyed hash: the turn's idempotency key
    Column("conversation", String(200), nullable=False, index=True),  # keyed hash of agent:channel:user
    Column("agent", String(40)),
    Column("channel", String(16)),
    Column("user_id", Text),  # encrypted: a WhatsApp id is a phone number
    Column("text", Text, nullable=False),  # encrypted; emptied once answered
    Column("body_hash", String(64)),  # keyed hash of the text: the same key with another text is a conflict
    Column("state", Text),  # JSON: the state delta the caller's identity sets (the token's role)
    Column("status", String(10), nullable=False, default="pending"),  # pending | done | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(300)),
    Column("reply", Text),  # encrypted
    Column("received_at", Float, nullable=False),
    Column("done_at", Float),
)

CREATE_LOCK_ID = 7_310_002  # pg_advisory_xact_lock key: replicas starting together create the tables once
POLL_SECONDS = (0.005, 0.2)  # first and longest wait between attempts to take a busy lease
MAX_ATTEMPTS = 3  # tries of one message (a crash mid-turn counts) before it is marked failed
RECOVER_SECONDS = 3.0  # between passes over pending messages that nobody is draining
RECOVER_CONCURRENCY = 8  # conversations one replica recovers at once
ADDED_COLUMNS = ("agent", "channel", "user_id", "body_hash", "state", "attempts", "last_error")


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CREATE_LOCK_ID})
        await conn.run_sync(metadata.create_all, checkfirst=True)
        await conn.run_sync(_add_missing_columns)


def _add_missing_columns(conn: Any) -> None:
    """An inbox created by an older version gets the columns recovery and encryption need."""
    present = {c["name"] for c in inspect(conn).get_columns("gateway_inbox")}
    for name in ADDED_COLUMNS:
        if name not in present:
            column = inbox.c[name]
            kind = column.type.compile(conn.dialect)
            default = " NOT NULL DEFAULT 0" if name == "attempts" else ""
            conn.execute(text(f"ALTER TABLE gateway_inbox ADD COLUMN {name} {kind}{default}"))


def keyed(kind: str, value: str) -> str:
    """A keyed hash (LOOKUP_KEY) of `value`: stable across replicas, and no phone number in it."""
    return get_cipher().lookup_hash(f"{kind}:{value}")


class Addressed(Protocol):
    """Who a message belongs to (`gateway.turns.Conversation`)."""

    @property
    def agent(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def key(self) -> str: ...


class Received(StrEnum):
    NEW = "new"
    PENDING = "pending"  # already received and not answered yet: drain it again
    ANSWERED = "answered"  # already received and answered (or given up on)
    CONFLICT = "conflict"  # already received with another text


@dataclass(frozen=True)
class Pending:
    id: int
    message_id: str  # the turn's idempotency key
    agent: str
    channel: str
    user_id: str
    text: str
    state: dict[str, Any] | None
    attempts: int  # including the try about to run
    last_error: str | None = None


class Handler(Protocol):
    async def answer(self, message: Pending) -> str:
        """Run the message's turn; the reply (delivered to the customer where the channel pushes)."""
        ...

    async def give_up(self, message: Pending, reason: str) -> str:
        """Tell the customer the message could not be processed; the apology."""
        ...


class Inbox:
    """The message log and per-conversation leases on one database engine.

    `connect` makes another engine on the same database, for the lease heartbeat's thread.
    """

    def __init__(self, engine: AsyncEngine, connect: Callable[[], AsyncEngine]) -> None:
        self.engine = engine
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._heartbeat = Heartbeat(self.holder, connect)

    def close(self) -> None:
        """Stop the heartbeat (at shutdown, after the drains ended)."""
        self._heartbeat.stopped.set()
        if self._heartbeat.is_alive():
            self._heartbeat.join(timeout=HEARTBEAT_SECONDS * 2)

    @staticmethod
    def conversation_of(who: Addressed) -> str:
        return keyed("conversation", who.key)

    @staticmethod
    def message_key(who: Addressed, message_id: str) -> str:
        return keyed("message", f"{who.key}\n{message_id}")

    async def submit(self, who: Addressed, message_id: str, message_text: str, *, state: dict[str, Any] | None = None,
                     done_reply: str | None = None) -> Received:
        """Record a message under its own id (`message_id`: WhatsApp's, or the client's Idempotency-Key).

        `done_reply` records a message that needs no turn (e.g. a photo: the reply asks for text).
        The text is stored cleaned (no lone surrogates or NULs, which break encoders and PostgreSQL).
        """
        message_text = clean_text(message_text)
        cipher, now = get_cipher(), time.time()
        key, body = self.message_key(who, message_id), keyed("body", message_text)
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(inbox).values(
                    message_id=key, conversation=self.conversation_of(who), agent=who.agent, channel=who.channel,
                    user_id=cipher.encrypt(who.user_id), body_hash=body, state=json.dumps(state) if state else None,
                    text=cipher.encrypt(message_text if done_reply is None else ""), attempts=0,
                    status="pending" if done_reply is None else "done",
                    reply=cipher.encrypt(done_reply), received_at=now, done_at=None if done_reply is None else now,
                ))
            return Received.NEW
        except IntegrityError:
            pass
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(inbox.c.status, inbox.c.body_hash).where(inbox.c.message_id == key))).one()
        if row.body_hash is not None and row.body_hash != body:
            return Received.CONFLICT
        return Received.PENDING if row.status == "pending" else Received.ANSWERED

    async def reply_to(self, who: Addressed, message_id: str) -> str | None:
        """The reply stored for a processed message (None while pending or unknown)."""
        key = self.message_key(who, message_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(inbox.c.status, inbox.c.reply).where(inbox.c.message_id == key))).first()
        return get_cipher().decrypt(row.reply) if row and row.status != "pending" else None

    async def drain(self, conversation: str, handler: Handler, *, wait: bool = True) -> int:
        """Take the conversation's lease and process its pending messages in arrival order.

        Returns how many this call processed (possibly none: another holder got there
        first). With `wait=False` a busy lease is left to its holder. A message whose turn
        raises stops the drain (order is kept); a later drain tries it again.
        """
        if not (await self._acquire(conversation) if wait else await self._try_acquire(conversation)):
            return 0
        if not self._heartbeat.is_alive() and not self._heartbeat.stopped.is_set():
            with contextlib.suppress(RuntimeError):  # two drains starting it at once
                self._heartbeat.start()
        self._heartbeat.hold(conversation)
        processed = 0
        try:
            while not self._heartbeat.has_lost(conversation) and (message := await self._next(conversation)) is not None:
                if message.attempts > MAX_ATTEMPTS:
                    await self._give_up(message, handler)
                    continue
                try:
                    reply = await handler.answer(message)
                except Exception as exc:
                    log.exception("a turn failed (try %d of %d)", message.attempts, MAX_ATTEMPTS)
                    await self._failed_try(message, f"{type(exc).__name__}: {exc}")
                    if message.attempts >= MAX_ATTEMPTS:
                        continue  # the next pass of the loop gives it up
                    break
                await self._finish(message.id, "done", reply)
                processed += 1
        finally:
            self._heartbeat.drop(conversation)
            await self._release(conversation)
        return processed

    async def recover(self, handler: Handler) -> int:
        """Drain every conversation with pending messages and a free lease; how many messages were processed."""
        now = time.time()
        held = exists().where(and_(leases.c.conversation == inbox.c.conversation, leases.c.expires_at >= now))
        async with self.engine.connect() as conn:
            conversations = (await conn.execute(
                select(inbox.c.conversation).where(and_(inbox.c.status == "pending", inbox.c.agent.is_not(None), ~held))
                .group_by(inbox.c.conversation).limit(500)
            )).scalars().all()
        gate = asyncio.Semaphore(RECOVER_CONCURRENCY)

        async def one(conversation: str) -> int:
            async with gate:
                return await self.drain(conversation, handler, wait=False)

        done = await asyncio.gather(*(one(c) for c in conversations), return_exceptions=True)
        for problem in (d for d in done if isinstance(d, BaseException)):
            log.error("recovering a conversation failed: %s", problem)
        return sum(d for d in done if isinstance(d, int))

    async def _next(self, conversation: str) -> Pending | None:
        """The conversation's oldest pending message, its try counted before it runs."""
        async with self.engine.begin() as conn:
            row = (await conn.execute(
                select(inbox).where(and_(inbox.c.conversation == conversation, inbox.c.status == "pending"))
                .order_by(inbox.c.id).limit(1)
            )).first()
            if row is None:
                return None
            await conn.execute(update(inbox).where(inbox.c.id == row.id).values(attempts=inbox.c.attempts + 1))
        cipher = get_cipher()
        return Pending(
            id=row.id, message_id=row.message_id, agent=row.agent or "", channel=row.channel or "",
            user_id=cipher.decrypt(row.user_id) or "", text=cipher.decrypt(row.text) or "",
            state=json.loads(row.state) if row.state else None, attempts=row.attempts + 1, last_error=row.last_error,
        )

    async def _give_up(self, message: Pending, handler: Handler) -> None:
        reason = f"gave up after {MAX_ATTEMPTS} tries: {message.last_error or 'each try was cut off (a crash?)'}"
        log.error("inbox message %s marked failed: %s", message.id, reason)
        try:
            apology = await handler.give_up(message, reason)
        except Exception:
            log.exception("could not send the apology for inbox message %s", message.id)
            apology = ""
        await self._finish(message.id, "failed", apology, error=reason)

    async def _failed_try(self, message: Pending, error: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(inbox).where(inbox.c.id == message.id).values(last_error=error[:300]))

    async def _finish(self, row_id: int, status: str, reply: str, error: str | None = None) -> None:
        values: dict[str, Any] = {"status": status, "reply": get_cipher().encrypt(reply), "text": "", "done_at": time.time()}
        if error is not None:
            values["last_error"] = error[:300]
        async with self.engine.begin() as conn:
            await conn.execute(update(inbox).where(and_(inbox.c.id == row_id, inbox.c.status == "pending")).values(**values))

    async def _acquire(self, conversation: str) -> bool:
        wait, longest = POLL_SECONDS
        while not await self._try_acquire(conversation):
            await asyncio.sleep(wait)
            wait = min(longest, wait * 2)
        return True

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
