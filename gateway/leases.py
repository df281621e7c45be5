"""Conversation leases: one holder at a time per conversation, freed within seconds when the holder dies.

A lease is a row of `gateway_leases` with an expiry (`LEASE_SECONDS`). Its holder renews
it every `HEARTBEAT_SECONDS` from a `Heartbeat` thread with its own event loop and
engine, so an event loop busy for longer than a lease (a first turn seeding the shop, a
starved CPU) keeps it, while a killed process stops renewing and another replica may
take the conversation over once the lease has expired (`gateway.inbox`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Column, Float, MetaData, String, Table, and_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

metadata = MetaData()  # the gateway's tables: leases, inbox, outbox

leases = Table(
    "gateway_leases",
    metadata,
    Column("conversation", String(200), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
)

LEASE_SECONDS = 10.0  # a dead holder frees its conversations after this
HEARTBEAT_SECONDS = 2.5  # a live holder renews its leases this often


class Heartbeat(threading.Thread):
    """Renews the leases one holder has, every `HEARTBEAT_SECONDS`, on an engine of its own."""

    def __init__(self, holder: str, connect: Callable[[], AsyncEngine]) -> None:
        super().__init__(name="lease-heartbeat", daemon=True)
        self.holder, self.connect = holder, connect
        self.held: set[str] = set()
        self.lost: set[str] = set()  # held, but another holder took them over (this one was stalled)
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def hold(self, conversation: str) -> None:
        with self.lock:
            self.held.add(conversation)
            self.lost.discard(conversation)

    def drop(self, conversation: str) -> None:
        with self.lock:
            self.held.discard(conversation)
            self.lost.discard(conversation)

    def has_lost(self, conversation: str) -> bool:
        with self.lock:
            return conversation in self.lost

    def run(self) -> None:
        loop = asyncio.new_event_loop()
        engine = self.connect()
        try:
            while not self.stopped.wait(HEARTBEAT_SECONDS):
                with self.lock:
                    held = set(self.held)
                if held:
                    loop.run_until_complete(self._renew(engine, held))
        finally:
            loop.run_until_complete(engine.dispose())
            loop.close()

    async def _renew(self, engine: AsyncEngine, held: set[str]) -> None:
        mine = and_(leases.c.holder == self.holder, leases.c.conversation.in_(held))
        try:
            async with engine.begin() as conn:
                await conn.execute(update(leases).where(mine).values(expires_at=time.time() + LEASE_SECONDS))
                kept = set((await conn.execute(select(leases.c.conversation).where(mine))).scalars())
        except Exception as exc:  # noqa: BLE001  the next beat tries again; a lease lasts several beats
            log.warning("could not renew conversation leases: %s", exc)
            return
        with self.lock:
            gone = (held - kept) & self.held
            self.lost |= gone
        if gone:
            log.warning("lost %d conversation lease(s) to another replica; stopping after the current turn", len(gone))
