"""WhatsApp customers are sent their order's status changes and an operator's replies, through the outbox.

The real `GraphSender` posts to a local fake Graph API; the notifier loop of the running
service sends what is due, retries what failed, and never sends a change twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks import payloads
from benchmarks.fake_graph import FakeGraph
from gateway import outbox
from gateway.whatsapp import GraphSender
from tests.gateway import panel_client
from tests.gateway.conftest import OPERATOR, Service, open_service
from tests.gateway.test_panels import ORDER_TURNS
from tests.gateway.test_webhook_api import post, sent_to
from tools.pizzeria import replies, stores
from tools.pizzeria.stores import OrderStatus
from tools.settings import get_settings

WA = "5491155550901"


@pytest.fixture
async def wa(service_env: None, shop: AsyncEngine, fake_graph: FakeGraph,
             monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Service, FakeGraph]]:
    monkeypatch.setenv("PANEL_SECRET", panel_client.PANEL_SECRET)
    monkeypatch.setattr(outbox, "BACKOFF_SECONDS", 0.05)
    get_settings.cache_clear()
    sender = GraphSender(fake_graph.url, payloads.PHONE_NUMBER_ID, fake_graph.access_token, timeout_s=5, retries=0)
    async for service in open_service(sender=sender):
        yield service, fake_graph


async def _order_over_whatsapp(service: Service, graph: FakeGraph) -> int:
    for i, text in enumerate(ORDER_TURNS):
        assert (await post(service, payloads.text_message(WA, f"wamid.N{i}", text))).status_code == 200
        assert len(await sent_to(graph, WA, i + 1)) == i + 1
    [order] = stores.orders().all()
    assert order.channel == "whatsapp" and order.user_id == WA
    return order.order_id


async def test_status_changes_reach_the_whatsapp_customer_once_even_after_failures(wa: tuple[Service, FakeGraph]) -> None:
    service, graph = wa
    order_id = await _order_over_whatsapp(service, graph)
    before = len(await sent_to(graph, WA, 0))
    await panel_client.login(service.client, "pizzeria")
    csrf = await panel_client.csrf(service.client, "pizzeria")
    graph.fail_next(2, 500)  # the Graph API is down for the first two attempts
    for status in (OrderStatus.COOKING, OrderStatus.COOKING, OrderStatus.ON_THE_WAY):
        moved = await panel_client.post(service.client, "pizzeria", f"/orders/{order_id}/status", csrf, status=status)
        assert moved.status_code == 200
    texts = (await sent_to(graph, WA, before + 2))[before:]
    assert texts == [replies.status_notice(order_id, "en preparación"), replies.status_notice(order_id, "en camino")]
    async with service.app.state.service.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.outbox.c.state, outbox.outbox.c.attempts, outbox.outbox.c.recipient))).all()
    assert [r.state for r in rows] == ["sent", "sent"] and sum(r.attempts for r in rows) == 2
    assert all(WA not in r.recipient for r in rows)  # the number is stored encrypted


async def test_a_whatsapp_customer_gets_the_operators_reply(wa: tuple[Service, FakeGraph]) -> None:
    service, graph = wa
    await post(service, payloads.text_message("5491155550902", "wamid.H1", "quiero hablar con una persona"),
               url="/webhooks/whatsapp/ecommerce")
    assert len(await sent_to(graph, "5491155550902", 1)) == 1
    await panel_client.login(service.client, "ecommerce")
    csrf = await panel_client.csrf(service.client, "ecommerce")
    [waiting] = (await service.client.get("/v1/operator/ecommerce/handoffs",
                                          headers={"Authorization": f"Bearer {OPERATOR}"})).json()
    said = await panel_client.post(service.client, "ecommerce", f"/handoffs/{waiting['session_id']}/reply", csrf,
                                   text="Hola, te atiende Marta.", key="once")
    assert said.status_code == 200
    assert (await sent_to(graph, "5491155550902", 2))[1] == "Hola, te atiende Marta."
