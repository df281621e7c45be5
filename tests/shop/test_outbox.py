"""The e-mail outbox against a real local SMTP server (aiosmtpd), on both engines."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from eval.real.server import free_port
from tools.crypto import get_cipher
from tools.settings import Settings
from tools.shop.outbox import (
    DeliveryReport,
    LoggingSender,
    SmtpSender,
    deliver_pending,
    enqueue_email,
    sender_from_settings,
)
from tools.shop.schema import outbox

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
SHOP = "ElectroHogar Online <facturacion@electrohogar.com.ar>"


@dataclass
class Inbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    def sender(self, **kwargs: object) -> SmtpSender:
        return SmtpSender("127.0.0.1", self.port, SHOP, timeout_s=5, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox(port=free_port())

    class Collect:
        async def handle_DATA(self, server, session, envelope) -> str:
            inbox.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            inbox.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            return "250 OK"

    controller = Controller(Collect(), hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


async def _enqueue(engine: AsyncEngine, count: int, *, start: int = 0) -> list[int]:
    """`count` invoice e-mails; created newest-first so "oldest first" is not just id order."""
    ids = []
    async with engine.begin() as conn:
        for i in reversed(range(start, start + count)):
            ids.append(await enqueue_email(
                conn, kind="invoice_email", recipient=f"cliente{i}@example.com",
                subject=f"Tu factura B 0003-{i:08d} — pedido #45812{i:02d} · envío a Córdoba",
                body=f"Hola,\nadjuntamos tu factura N° {i}.\nTOTAL: $2.000.000,50\n¡Gracias por tu compra!",
                now=NOW + timedelta(minutes=i),
            ))
    return ids


async def _rows(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox).order_by(outbox.c.created_at))).all()
    return {get_cipher().decrypt(r.recipient): r for r in rows}  # the recipient is stored encrypted


async def test_enqueue_is_part_of_the_callers_transaction(engine: AsyncEngine) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with engine.begin() as conn:
            await enqueue_email(conn, kind="invoice_email", recipient="a@example.com", subject="s", body="b")
            raise Boom
    assert await _rows(engine) == {}
    async with engine.begin() as conn:
        row_id = await enqueue_email(conn, kind="invoice_email", recipient="a@example.com", subject="s", body="b")
    row = (await _rows(engine))["a@example.com"]
    assert (row.id, row.status, row.attempts, row.last_error, row.sent_at) == (row_id, "pending", 0, None, None)
    assert row.created_at is not None


async def test_pending_emails_are_delivered_oldest_first_with_utf8_intact(engine: AsyncEngine, smtp: Inbox) -> None:
    await _enqueue(engine, 3)
    report = await deliver_pending(engine, smtp.sender())
    assert len(report.sent) == 3 and report.retrying == report.failed == []
    assert [m["To"] for m in smtp.messages] == ["cliente0@example.com", "cliente1@example.com", "cliente2@example.com"]
    first = smtp.messages[0]
    assert first["Subject"] == "Tu factura B 0003-00000000 — pedido #4581200 · envío a Córdoba"
    assert first.get_content().replace("\r\n", "\n") == "Hola,\nadjuntamos tu factura N° 0.\nTOTAL: $2.000.000,50\n¡Gracias por tu compra!\n"
    assert first.get_content_charset() == "utf-8"
    assert first["From"] == SHOP and first["Message-ID"] and first["Date"]
    assert smtp.envelopes[0] == ("facturacion@electrohogar.com.ar", ["cliente0@example.com"])
    for row in (await _rows(engine)).values():
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
        assert row.sent_at is not None
    assert (await deliver_pending(engine, smtp.sender())).claimed == 0  # nothing left


async def test_batch_limits_how_many_are_sent(engine: AsyncEngine, smtp: Inbox) -> None:
    await _enqueue(engine, 3)
    report = await deliver_pending(engine, smtp.sender(), batch=2)
    assert len(report.sent) == 2
    assert [m["To"] for m in smtp.messages] == ["cliente0@example.com", "cliente1@example.com"]
    assert (await _rows(engine))["cliente2@example.com"].status == "pending"


async def test_smtp_down_counts_attempts_then_gives_up(engine: AsyncEngine) -> None:
    await _enqueue(engine, 2)
    down = SmtpSender("127.0.0.1", free_port(), SHOP, timeout_s=2)  # nobody listens there
    report = await deliver_pending(engine, down, max_attempts=3)
    assert report.sent == [] and len(report.retrying) == 2 and report.failed == []
    for row in (await _rows(engine)).values():
        assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
        assert "ConnectionRefusedError" in row.last_error

    await deliver_pending(engine, down, max_attempts=3)
    report = await deliver_pending(engine, down, max_attempts=3)
    assert len(report.failed) == 2 and report.retrying == []
    for row in (await _rows(engine)).values():
        assert (row.status, row.attempts, row.sent_at) == ("failed", 3, None)
        assert row.last_error
    assert (await deliver_pending(engine, down, max_attempts=3)).claimed == 0  # failed rows stay failed


async def test_one_bad_recipient_does_not_block_the_others(engine: AsyncEngine, smtp: Inbox) -> None:
    await _enqueue(engine, 3)
    real = smtp.sender()

    class Picky:
        async def send(self, recipient: str, subject: str, body: str) -> None:
            if recipient == "cliente1@example.com":
                raise RuntimeError("buzón lleno")
            await real.send(recipient, subject, body)

    report = await deliver_pending(engine, Picky())
    assert len(report.sent) == 2 and len(report.retrying) == 1
    row = (await _rows(engine))["cliente1@example.com"]
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "RuntimeError: buzón lleno")
    # Next run: the SMTP server takes it.
    report = await deliver_pending(engine, real)
    assert report.sent == [row.id]
    row = (await _rows(engine))["cliente1@example.com"]
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert sorted(m["To"] for m in smtp.messages) == [f"cliente{i}@example.com" for i in range(3)]


async def test_concurrent_workers_send_each_email_exactly_once(engine: AsyncEngine, smtp: Inbox) -> None:
    total = 40
    await _enqueue(engine, total)
    sender = smtp.sender()

    async def worker() -> list[DeliveryReport]:
        reports = []
        while (report := await deliver_pending(engine, sender, batch=3)).claimed:
            reports.append(report)
        return reports

    results = await asyncio.gather(deliver_pending(engine, sender), deliver_pending(engine, sender), worker(), worker())
    reports = [results[0], results[1], *results[2], *results[3]]
    sent_ids = [i for r in reports for i in r.sent]
    assert len(sent_ids) == len(set(sent_ids)) == total
    assert all(r.retrying == r.failed == [] for r in reports)
    received = Counter(m["To"] for m in smtp.messages)
    assert len(received) == total and set(received.values()) == {1}
    assert {row.status for row in (await _rows(engine)).values()} == {"sent"}


async def test_a_second_worker_skips_rows_being_sent(engine: AsyncEngine, smtp: Inbox) -> None:
    await _enqueue(engine, 2)
    real = smtp.sender()
    sending = asyncio.Event()
    go_on = asyncio.Event()

    class Slow:
        async def send(self, recipient: str, subject: str, body: str) -> None:
            sending.set()
            await go_on.wait()
            await real.send(recipient, subject, body)

    first = asyncio.create_task(deliver_pending(engine, Slow()))
    await sending.wait()  # the first worker holds its claim, mid-send
    second = await deliver_pending(engine, real)
    assert second.claimed == 0
    go_on.set()
    assert len((await first).sent) == 2
    assert len(smtp.messages) == 2


async def test_abandoned_claims_are_requeued_after_a_while(engine: AsyncEngine, smtp: Inbox) -> None:
    await _enqueue(engine, 2)
    now = datetime.now(UTC)
    queued = await _rows(engine)
    async with engine.begin() as conn:  # two workers died mid-send: one long ago, one just now
        await conn.execute(update(outbox).where(outbox.c.id == queued["cliente0@example.com"].id)
                           .values(status="sending", sent_at=now - timedelta(hours=1)))
        await conn.execute(update(outbox).where(outbox.c.id == queued["cliente1@example.com"].id)
                           .values(status="sending", sent_at=now - timedelta(minutes=1)))
    report = await deliver_pending(engine, smtp.sender(), stale_after=timedelta(minutes=15))
    assert report.requeued_stale == 1 and len(report.sent) == 1
    rows = await _rows(engine)
    assert rows["cliente0@example.com"].status == "sent"
    assert rows["cliente1@example.com"].status == "sending"  # maybe still in flight: left alone
    assert [m["To"] for m in smtp.messages] == ["cliente0@example.com"]


async def test_logging_sender_logs_and_marks_sent(engine: AsyncEngine, caplog: pytest.LogCaptureFixture) -> None:
    await _enqueue(engine, 1)
    with caplog.at_level(logging.INFO, logger="tools.shop.outbox"):
        report = await deliver_pending(engine, LoggingSender())
    assert len(report.sent) == 1
    assert "not sent" in caplog.text and "@example.com" in caplog.text
    assert "cliente0@example.com" not in caplog.text  # the address is customer data: masked in logs


def test_sender_from_settings() -> None:
    assert isinstance(sender_from_settings(Settings(smtp_host="")), LoggingSender)
    smtp = sender_from_settings(Settings(smtp_host="mail.example.com", smtp_starttls=True, smtp_username="u",
                                         smtp_password="p", smtp_from=SHOP))
    assert isinstance(smtp, SmtpSender)
    assert (smtp.host, smtp.port, smtp.starttls, smtp.username, smtp.password, smtp.sender_address, smtp.timeout_s) == (
        "mail.example.com", 587, True, "u", "p", SHOP, 10.0)
    plain = sender_from_settings(Settings(smtp_host="127.0.0.1", smtp_port=2525, smtp_timeout_s=3))
    assert isinstance(plain, SmtpSender) and (plain.port, plain.starttls, plain.timeout_s) == (2525, False, 3.0)