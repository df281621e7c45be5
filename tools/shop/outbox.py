"""Transactional outbox for customer e-mails (invoices): queue in the business transaction, deliver later.

`enqueue_email()` inserts a row on the caller's connection, so an invoice and its
e-mail commit (or roll back) together. `deliver_pending()` is the worker: it
claims pending rows, sends them through an `EmailSender` and records the outcome.

Row lifecycle (`outbox.status`)::

    pending --claim--> sending --ok--> sent
       ^                  |
       +---- error -------+---- error, attempts >= max_attempts --> failed

`sender_from_env()` picks `SmtpSender` when `SMTP_HOST` is set, else `LoggingSender`.
The recipient address is customer data: stored encrypted, decrypted just before sending.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any, Protocol

from sqlalchemy import Row, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tools.crypto import get_cipher
from tools.observability.redact import redact
from tools.settings import Settings, get_settings
from tools.shop.schema import outbox

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MAX_ERROR_CHARS = 1000


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def enqueue_email(conn: AsyncConnection, *, kind: str, recipient: str, subject: str, body: str,
                        now: datetime | None = None) -> int:
    """Queue an e-mail on `conn`, inside the caller's transaction; returns the outbox row id."""
    result = await conn.execute(outbox.insert().values(
        kind=kind, recipient=get_cipher().encrypt(recipient), subject=subject, body=body, status=PENDING, attempts=0,
        created_at=now or _utcnow(),
    ))
    return int(result.inserted_primary_key[0])


# --- Senders -------------------------------------------------------------------------------------


class EmailSender(Protocol):
    async def send(self, recipient: str, subject: str, body: str) -> None:
        """Deliver one plain-text e-mail; raise on any failure (the outbox retries)."""
        ...


class LoggingSender:
    """Development sender: logs the e-mail instead of sending it (the row is still marked sent)."""

    async def send(self, recipient: str, subject: str, body: str) -> None:
        log.info("e-mail (not sent, no SMTP_HOST) to=%s subject=%r body=%d chars", redact(recipient), subject, len(body))


def build_message(sender_address: str, recipient: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message; the subject is RFC 2047-encoded when it has accents."""
    message = EmailMessage()
    message["From"] = sender_address
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender_address)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body, charset="utf-8", cte="quoted-printable")  # 7-bit clean for any server
    return message


class SmtpSender:
    """Sends through an SMTP server with stdlib `smtplib`, run in a worker thread.

    One connection per e-mail (the volume is low); `timeout_s` bounds connect and
    every command. `starttls=True` upgrades the connection with certificate
    verification before `username`/`password` login.
    """

    def __init__(self, host: str, port: int, sender_address: str, timeout_s: float = 10, starttls: bool = False,
                 username: str | None = None, password: str | None = None) -> None:
        self.host = host
        self.port = port
        self.sender_address = sender_address
        self.timeout_s = timeout_s
        self.starttls = starttls
        self.username = username
        self.password = password

    async def send(self, recipient: str, subject: str, body: str) -> None:
        message = build_message(self.sender_address, recipient, subject, body)
        await asyncio.to_thread(self._send_sync, message)

    def _send_sync(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def sender_from_settings(settings: Settings | None = None) -> EmailSender:
    """`SmtpSender` when `SMTP_HOST` is set, else `LoggingSender` (see `.env.example`)."""
    settings = settings or get_settings()
    if not settings.smtp_host.strip():
        return LoggingSender()
    return SmtpSender(
        host=settings.smtp_host.strip(),
        port=settings.smtp_port or (587 if settings.smtp_starttls else 25),
        sender_address=settings.smtp_from,
        timeout_s=settings.smtp_timeout_s,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username or None,
        password=settings.smtp_password or None,
    )


# --- Delivery worker -----------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """Outbox row ids by outcome of one `deliver_pending()` run."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)  # failed this time, back to pending
    failed: list[int] = field(default_factory=list)  # gave up after max_attempts
    requeued_stale: int = 0  # abandoned claims put back to pending before this run

    @property
    def claimed(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed)


async def _claim(engine: AsyncEngine, batch: int, claimed_at: datetime) -> list[Row[Any]]:
    """Move up to `batch` of the oldest pending rows to 'sending' in one statement; return exactly those rows.

    WITH claimable AS MATERIALIZED (SELECT id FROM outbox WHERE status = 'pending'
                                    ORDER BY created_at, id LIMIT :batch FOR UPDATE SKIP LOCKED)
    UPDATE outbox SET status = 'sending', sent_at = :claimed_at
    WHERE status = 'pending' AND id IN (SELECT id FROM claimable)
    RETURNING id, recipient, subject, body, attempts, created_at

    The CTE is materialized (evaluated once): written as a plain `IN (subquery)`,
    PostgreSQL may re-run the subquery per row, skip the rows the statement itself
    just locked, and claim more than `batch`. Needs PostgreSQL >= 12 and
    SQLite >= 3.35 (MATERIALIZED, RETURNING).
    """
    claimable = (
        select(outbox.c.id)
        .where(outbox.c.status == PENDING)
        .order_by(outbox.c.created_at, outbox.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite renders no locking clause
        .cte("claimable")
        .prefix_with("MATERIALIZED")
    )
    statement = (
        update(outbox)
        .where(and_(outbox.c.status == PENDING, outbox.c.id.in_(select(claimable.c.id))))
        .values(status=SENDING, sent_at=claimed_at)
        .returning(outbox.c.id, outbox.c.recipient, outbox.c.subject, outbox.c.body, outbox.c.attempts,
                   outbox.c.created_at)
    )
    async with engine.begin() as conn:
        rows = (await conn.execute(statement)).all()
    return sorted(rows, key=lambda r: (r.created_at, r.id))


async def requeue_stale_claims(engine: AsyncEngine, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Put rows stuck in 'sending' (a worker died mid-batch) back to pending; returns how many.

    Such an e-mail may have been sent just before the crash, so it can go out twice:
    the outbox is at-least-once across crashes, exactly-once otherwise.
    """
    cutoff = (now or _utcnow()) - older_than
    async with engine.begin() as conn:
        result = await conn.execute(
            update(outbox)
            .where(and_(outbox.c.status == SENDING, outbox.c.sent_at < cutoff))
            .values(status=PENDING, sent_at=None)
        )
    if result.rowcount:
        log.warning("requeued %d stale outbox claims", result.rowcount)
    return int(result.rowcount or 0)


async def deliver_pending(engine: AsyncEngine, sender: EmailSender, *, batch: int = 20, max_attempts: int = 5,
                          stale_after: timedelta = timedelta(minutes=15),
                          clock: Callable[[], datetime] = _utcnow) -> DeliveryReport:
    """Send up to `batch` pending e-mails, oldest first, and record each outcome.

    Concurrency (several workers, or two calls at once): rows are *claimed* before
    any e-mail goes out, by one atomic UPDATE that moves them from 'pending' to
    'sending' and returns the rows it changed (see `_claim`). Only the worker whose
    UPDATE changed a row sends it, so an e-mail is never sent twice:

    - PostgreSQL: the `SELECT ... FOR UPDATE SKIP LOCKED` in the statement makes
      concurrent workers lock and take disjoint rows without waiting for each other.
    - SQLite: a single writer runs the whole UPDATE at a time, so the second
      worker finds the rows already 'sending' and takes the next ones.

    The same SQL (built by SQLAlchemy) runs on both. The claim commits at once, so
    no lock or transaction is held while talking to the SMTP server. While a row is
    'sending', `sent_at` holds the claim time, which serves as the claim token: the
    outcome is written only if the row still carries this worker's claim, and
    claims older than `stale_after` (a crashed worker) are requeued at the start
    of each run (keep `stale_after` well above `batch` x the sender's timeout).
    Once 'sent', `sent_at` is the delivery time. A cancelled run leaves its claims
    to that requeue.

    Every try increments `attempts`. A failure stores `last_error` and returns the
    row to 'pending' (retried on the next run), or marks it 'failed' when
    `attempts` reaches `max_attempts`.
    """
    report = DeliveryReport()
    report.requeued_stale = await requeue_stale_claims(engine, older_than=stale_after,
                                                       now=clock().astimezone(UTC))
    claimed_at = clock().astimezone(UTC)  # SQLite keeps the wall time: always store UTC
    rows = await _claim(engine, batch, claimed_at)
    cipher = get_cipher()
    for row in rows:
        attempts = row.attempts + 1
        try:
            await sender.send(cipher.decrypt(row.recipient), row.subject, row.body)
        except Exception as exc:  # noqa: BLE001 - any sender failure is recorded and retried
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
            give_up = attempts >= max_attempts
            log.warning("outbox %d: send failed (attempt %d/%d): %s", row.id, attempts, max_attempts, error)
            await _finish(engine, row.id, claimed_at, status=FAILED if give_up else PENDING, attempts=attempts,
                          last_error=error, sent_at=None)
            (report.failed if give_up else report.retrying).append(row.id)
        else:
            await _finish(engine, row.id, claimed_at, status=SENT, attempts=attempts, last_error=None,
                          sent_at=clock().astimezone(UTC))
            report.sent.append(row.id)
    return report


async def _finish(engine: AsyncEngine, row_id: int, claimed_at: datetime, **values: object) -> None:
    """Record an outcome, only if the row still carries this worker's claim."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(outbox)
            .where(and_(outbox.c.id == row_id, outbox.c.status == SENDING, outbox.c.sent_at == claimed_at))
            .values(**values)
        )
    if result.rowcount != 1:
        log.warning("outbox %d: claim lost before recording %s (requeued as stale?)", row_id, values["status"])
