"""What the customer hears without asking: order status changes and operators' replies, through the outbox.

`Notifier` turns events into outbox messages (`gateway.outbox`) and runs one background
loop per replica that

- sweeps `pedidos.json` for status changes no outbox row has yet: those made by
  `python -m tools.pizzeria.orders status` (a process with no database), or by a board
  whose database write failed after the file was written. The sweep runs only when the
  file changed (its mtime and size), reads the file without decrypting it, and costs one
  SELECT of the candidate keys; changes older than `SWEEP_WINDOW_S` are not sent late;
- sends the WhatsApp messages that are due, through the service's sender.

The kitchen board enqueues its change itself right after the store wrote it (same key as
the sweep's), so a board change reaches the customer without waiting for the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway import whatsapp
from gateway.outbox import Outbox, Outgoing
from gateway.turns import Conversation
from tools.jsonstore import StoreError
from tools.pizzeria import replies, stores
from tools.pizzeria.stores import OrderStatus, SavedOrder, StatusChange
from tools.settings import get_settings

log = logging.getLogger(__name__)

PIZZERIA = "pizzeria"  # the board's agent (public name)
LOOP_SECONDS = 2.0  # between sweeps / sends when nothing wakes the loop earlier
SWEEP_WINDOW_S = 3 * 3600  # a status change older than this (e.g. made while the service was down) is not sent


def status_key(order_key: str, status: str) -> str:
    return f"order:{order_key}:{status}"


def status_message(order: SavedOrder, change: StatusChange) -> Outgoing | None:
    """The customer's message for a status change (None: the order has no channel, or nothing to say)."""
    words = replies.status_notice(order.order_id, change.status, change.reason)
    if words is None or not order.channel:
        return None
    session_id = order.session_id or Conversation(PIZZERIA, order.channel, order.user_id).session_id
    return Outgoing(key=status_key(order.order_key, change.status), agent=PIZZERIA, session_id=session_id,
                    channel=order.channel, recipient=order.user_id, kind="status", text=words)


class Notifier:
    def __init__(self, outbox: Outbox, sender: whatsapp.Sender) -> None:
        self.outbox, self.sender = outbox, sender
        self._wake = asyncio.Event()
        self._seen: tuple[Path, int, int] | None = None  # pedidos.json (path, mtime_ns, size) at the last full sweep

    async def enqueue(self, message: Outgoing) -> bool:
        """Record `message` (False: already recorded) and wake the sending loop."""
        fresh = await self.outbox.enqueue(message)
        self._wake.set()
        return fresh

    async def status_changed(self, order: SavedOrder, change: StatusChange) -> None:
        """After the store wrote `change`; if the database fails, the next sweep sends it."""
        message = status_message(order, change)
        if message is None:
            return
        try:
            await self.enqueue(message)
        except Exception:
            self._seen = None
            log.exception("could not enqueue the status of order %s; the sweep retries", order.order_id)

    async def sweep_orders(self, now: datetime | None = None) -> int:
        """Enqueue the recent status changes of `pedidos.json` that no outbox row has; returns how many."""
        path = Path(get_settings().pizzeria_data_dir) / "pedidos.json"
        try:
            stat = path.stat()
        except FileNotFoundError:
            return 0
        seen = (path, stat.st_mtime_ns, stat.st_size)
        if seen == self._seen:
            return 0
        records: list[dict[str, Any]] = await asyncio.to_thread(stores.orders().file.read)
        since = ((now or datetime.now(UTC)) - timedelta(seconds=SWEEP_WINDOW_S)).isoformat()
        candidates = {
            status_key(record["order_key"], change["status"]): (record, change)
            for record in records if record.get("channel")
            for change in record.get("status_changes", [])
            if change["status"] != OrderStatus.RECEIVED and change["at"] >= since
        }
        sent = 0
        for key in sorted(set(candidates) - await self.outbox.known(list(candidates))):
            record, change = candidates[key]
            message = status_message(SavedOrder.from_stored(record), StatusChange.model_validate(change))
            if message is not None and await self.enqueue(message):
                sent += 1
        self._seen = seen
        return sent

    async def send_due(self) -> int:
        """Send the WhatsApp messages that are due; returns how many went out."""
        done = 0
        for due in await self.outbox.claim_due():
            try:
                await self.sender.send_text(due.recipient, due.text)
            except Exception as exc:  # noqa: BLE001  any sender failure must leave the row for a retry
                log.warning("WhatsApp message %s to %s not sent: %s", due.id, whatsapp.mask_phone(due.recipient), exc)
                await self.outbox.failed(due, str(exc) or type(exc).__name__)
                continue
            await self.outbox.sent(due.id)
            done += 1
        return done

    async def run(self) -> None:
        """The background loop (until cancelled): sweep, send, wait for a wake-up or `LOOP_SECONDS`."""
        while True:
            self._wake.clear()
            for step in (self.sweep_orders, self.send_due):
                try:
                    await step()
                except StoreError as exc:
                    log.warning("notifier: %s", exc)
                except Exception:
                    log.exception("notifier step %s failed", step.__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), LOOP_SECONDS)

    def start(self) -> asyncio.Task[None]:
        return asyncio.create_task(self.run(), name="notifier")
