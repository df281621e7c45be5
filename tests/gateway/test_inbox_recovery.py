"""The inbox on PostgreSQL, in-process: nothing accepted is lost or answered twice, no input answers 500,
and no message text sits in clear at rest.

(The crash cases, with real processes killed by SIGKILL, are in tests/reliability/.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import payloads
from benchmarks.fake_graph import FakeGraph
from gateway.inbox import Inbox, Pending, create_tables
from gateway.inbox import inbox as inbox_table
from gateway.turns import Conversation
from gateway.whatsapp import GraphSender
from tests.gateway.conftest import Service, open_service, token
from tests.gateway.test_webhook_api import post, sent_to
from tools.settings import get_settings
from tools.shop import runtime

PG = "postgresql+asyncpg://root@127.0.0.1:5432/test"


@pytest.fixture
async def pg(service_env: None, monkeypatch: pytest.MonkeyPatch, fake_graph: FakeGraph) -> AsyncIterator[tuple[Service, FakeGraph, str]]:
    schema = f"t_inbox_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("DATABASE_SCHEMA", schema)
    get_settings.cache_clear()
    runtime.reset_runtime()
    sender = GraphSender(fake_graph.url, payloads.PHONE_NUMBER_ID, fake_graph.access_token, timeout_s=5, retries=0)
    try:
        async for service in open_service(sender=sender):
            yield service, fake_graph, schema
    finally:
        await runtime.dispose_runtime()
        engine = create_async_engine(PG)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()


def _wa() -> str:
    return f"54911{uuid.uuid4().int % 10**8:08d}"


async def _rows(service: Service, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    async with service.app.state.service.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql))]


async def test_one_bad_message_is_rejected_alone_and_the_others_are_answered(pg: tuple[Service, FakeGraph, str]) -> None:
    service, graph, _ = pg
    first, last = _wa(), _wa()
    delivery = payloads.inbound(
        payloads.text(first, f"wamid.{uuid.uuid4().hex}", "hola"),
        payloads.text("9" * 250, f"wamid.{uuid.uuid4().hex}", "hola"),  # a `from` no column holds
        payloads.text(_wa(), f"wamid.\x00{uuid.uuid4().hex}", "hola"),  # a NUL PostgreSQL refuses
        payloads.text(_wa(), "wamid." + "x" * 250, "hola"),  # an id over 200 characters
        payloads.text(last, f"wamid.{uuid.uuid4().hex}", "hola"),
    )
    response = await post(service, delivery)
    assert response.status_code == 200, response.text
    assert len(await sent_to(graph, first, 1)) == 1
    assert len(await sent_to(graph, last, 1)) == 1
    for _ in range(50):  # marked done right after its reply went out
        if not (left := await _rows(service, "SELECT status FROM gateway_inbox WHERE status <> 'done'")):
            break
        await asyncio.sleep(0.1)
    assert left == []


async def test_a_redelivered_message_still_pending_is_answered_not_dropped(pg: tuple[Service, FakeGraph, str]) -> None:
    service, graph, _ = pg
    wa_id, message_id = _wa(), f"wamid.{uuid.uuid4().hex}"
    inbox = service.app.state.service.turns.inbox
    # accepted by a replica that died before answering: the row is pending, nobody drains it
    await inbox.submit(Conversation("pizzeria", "whatsapp", wa_id), message_id, "hola")
    response = await post(service, payloads.text_message(wa_id, message_id, "hola"))
    assert response.status_code == 200
    assert len(await sent_to(graph, wa_id, 1, timeout=2.5)) == 1  # sooner than the recovery loop's next pass
    await asyncio.sleep(0.5)
    assert len([m for m in graph.sent if m.to == wa_id]) == 1


async def test_an_idempotency_key_reused_with_another_message_is_a_422(pg: tuple[Service, FakeGraph, str]) -> None:
    service, _, _ = pg
    bearer = token(f"web-{uuid.uuid4().hex[:8]}")
    first = await service.chat("pizzeria", "hola", bearer, idempotency_key="k-1")
    assert first.status_code == 200
    again = await service.chat("pizzeria", "hola", bearer, idempotency_key="k-1")
    assert again.status_code == 200 and again.json()["reply"] == first.json()["reply"] and again.json()["duplicate"]
    other = await service.chat("pizzeria", "dos muzzas grandes", bearer, idempotency_key="k-1")
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]


@pytest.mark.parametrize("length", [190, 200])
async def test_a_long_idempotency_key_up_to_the_header_limit_works(pg: tuple[Service, FakeGraph, str], length: int) -> None:
    service, _, _ = pg
    bearer = token(f"web-{uuid.uuid4().hex[:8]}")
    response = await service.chat("pizzeria", "hola", bearer, idempotency_key="k" * length)
    assert response.status_code == 200, response.text
    assert await _rows(service, "SELECT status FROM gateway_inbox WHERE status <> 'done'") == []


async def test_an_idempotency_key_over_the_header_limit_is_a_4xx(pg: tuple[Service, FakeGraph, str]) -> None:
    service, _, _ = pg
    response = await service.chat("pizzeria", "hola", token("web-long"), idempotency_key="k" * 201)
    assert 400 <= response.status_code < 500
    assert await _rows(service, "SELECT id FROM gateway_inbox") == []


async def test_the_inbox_keeps_no_message_or_phone_in_clear(pg: tuple[Service, FakeGraph, str]) -> None:
    service, graph, _ = pg
    wa_id = _wa()
    words = "mi mail es ana.perez@example.com y vivo en Av. Siempreviva 742"
    await post(service, payloads.text_message(wa_id, f"wamid.{uuid.uuid4().hex}", words))
    await sent_to(graph, wa_id, 1)
    bearer = token("5491199990001")
    assert (await service.chat("pizzeria", words, bearer, idempotency_key="clear-1")).status_code == 200
    dump = " ".join(str(v) for row in await _rows(service, "SELECT * FROM gateway_inbox") for v in row)
    dump += " ".join(str(v) for row in await _rows(service, "SELECT * FROM gateway_leases") for v in row)
    for secret in (wa_id, "5491199990001", "ana.perez", "Siempreviva"):
        assert secret not in dump
    reply = next(m.text for m in graph.sent if m.to == wa_id)
    assert reply[:20] not in dump


async def test_pending_messages_are_answered_by_the_recovery_loop(pg: tuple[Service, FakeGraph, str]) -> None:
    service, graph, _ = pg
    inbox = service.app.state.service.turns.inbox
    customers = [_wa() for _ in range(3)]
    for wa_id in customers:  # accepted by a replica that died right after: nobody drains them
        await inbox.submit(Conversation("pizzeria", "whatsapp", wa_id), f"wamid.{uuid.uuid4().hex}", "hola")
    for wa_id in customers:
        assert len(await sent_to(graph, wa_id, 1, timeout=15)) == 1


class _Broken:
    """A handler whose turns always raise (the model is fine; e.g. its session store refuses the write)."""

    def __init__(self) -> None:
        self.tries = 0
        self.apologies: list[str] = []

    async def answer(self, message: Pending) -> str:
        self.tries += 1
        raise RuntimeError("session store refused the write")

    async def give_up(self, message: Pending, reason: str) -> str:
        self.apologies.append(reason)
        return "Perdón, no pude procesar tu mensaje."


@pytest.fixture
async def bare_inbox(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Inbox]:
    """An inbox on its own PostgreSQL schema, with no service (and so no recovery loop) around it."""
    schema = f"t_inbox_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("DATABASE_SCHEMA", schema)
    get_settings.cache_clear()
    engine = runtime.business_engine()
    await runtime.ensure_schema(engine)
    await create_tables(engine)
    inbox = Inbox(engine, runtime.business_engine)
    try:
        yield inbox
    finally:
        await asyncio.to_thread(inbox.close)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()


async def test_a_message_that_keeps_failing_is_marked_failed_with_its_reason_and_an_apology(bare_inbox: Inbox) -> None:
    inbox = bare_inbox
    convo = Conversation("pizzeria", "whatsapp", _wa())
    await inbox.submit(convo, "wamid.poison", "hola")
    await inbox.submit(convo, "wamid.after", "hola")
    broken = _Broken()
    for _ in range(10):
        await inbox.drain(inbox.conversation_of(convo), broken)
        if broken.apologies:
            break
    assert broken.tries == 3 + 1  # three tries of the poison message, then the next message's first
    assert len(broken.apologies) == 1 and "session store refused the write" in broken.apologies[0]
    async with inbox.engine.connect() as conn:
        rows = (await conn.execute(select(inbox_table.c.status, inbox_table.c.last_error).order_by(inbox_table.c.id))).all()
    assert rows[0].status == "failed" and "3 tries" in rows[0].last_error
    assert rows[1].status == "pending"  # not held back for good: it is tried next
    assert await inbox.reply_to(convo, "wamid.poison") == "Perdón, no pude procesar tu mensaje."
