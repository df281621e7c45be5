"""The WhatsApp webhook route end to end: handshake, signatures, duplicates, bursts, non-text, statuses.

Replies go out through the real `GraphSender` to a local fake Graph API server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks import payloads
from benchmarks.fake_graph import FakeGraph
from gateway.turns import Conversation
from gateway.whatsapp import GraphSender
from tests.gateway.conftest import APP_SECRET, VERIFY, Service, open_service
from tools.llm.replies import NON_TEXT as NON_TEXT_REPLY

WA = "5491155550001"
URL = "/webhooks/whatsapp/pizzeria"


@pytest.fixture
async def wa(service_env: None, shop: AsyncEngine, fake_graph: FakeGraph) -> AsyncIterator[tuple[Service, FakeGraph]]:
    sender = GraphSender(fake_graph.url, payloads.PHONE_NUMBER_ID, fake_graph.access_token, timeout_s=5, retries=2, backoff_s=0.01)
    async for service in open_service(sender=sender):
        yield service, fake_graph


async def post(service: Service, notification: dict, secret: str | None = APP_SECRET, url: str = URL):  # type: ignore[no-untyped-def]
    body = payloads.as_body(notification)
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = payloads.sign(body, secret)
    return await service.client.post(url, content=body, headers=headers)


async def sent_to(graph: FakeGraph, wa_id: str, count: int, timeout: float = 30) -> list[str]:
    """Waits until `count` replies reached the fake Graph API for `wa_id` (replies go out after the 200)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        texts = [m.text for m in graph.sent if m.to == wa_id]
        if len(texts) >= count or asyncio.get_running_loop().time() > deadline:
            return texts
        await asyncio.sleep(0.05)


async def test_handshake(wa: tuple[Service, FakeGraph]) -> None:
    service, _ = wa
    ok = await service.client.get(URL, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = await service.client.get(URL, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert wrong.status_code == 403


async def test_signed_text_message_is_answered(wa: tuple[Service, FakeGraph]) -> None:
    service, graph = wa
    response = await post(service, payloads.text_message(WA, "wamid.A1", "hola"))
    assert response.status_code == 200
    replies = await sent_to(graph, WA, 1)
    assert len(replies) == 1 and replies[0]
    assert graph.requests[0].authorization == f"Bearer {graph.access_token}"


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("not-the-app-secret", 403)], ids=["missing", "wrong"])
async def test_unsigned_or_badly_signed_posts_run_nothing(wa: tuple[Service, FakeGraph], secret: str | None, status: int) -> None:
    service, graph = wa
    response = await post(service, payloads.text_message(WA, "wamid.B1", "hola"), secret=secret)
    assert response.status_code == status
    await asyncio.sleep(0.3)
    assert graph.sent == [] and service.models["pizzeria"].requests == []


async def test_a_tampered_body_fails_the_signature(wa: tuple[Service, FakeGraph]) -> None:
    service, _ = wa
    body = payloads.as_body(payloads.text_message(WA, "wamid.C1", "hola"))
    header = payloads.sign(body, APP_SECRET)
    tampered = body.replace(b"hola", b"chau")
    response = await service.client.post(URL, content=tampered, headers={"X-Hub-Signature-256": header})
    assert response.status_code == 403


async def test_duplicate_delivery_is_answered_once(wa: tuple[Service, FakeGraph]) -> None:
    service, graph = wa
    notification = payloads.text_message(WA, "wamid.D1", "quiero dos muzzas grandes")
    first, again = await asyncio.gather(post(service, notification), post(service, notification))
    assert first.status_code == again.status_code == 200
    assert len(await sent_to(graph, WA, 1)) == 1
    await asyncio.sleep(0.5)
    assert len([m for m in graph.sent if m.to == WA]) == 1


async def test_a_burst_from_one_user_is_processed_in_order(wa: tuple[Service, FakeGraph]) -> None:
    service, graph = wa
    burst = [("wamid.E1", "hola"), ("wamid.E2", "me llamo Ana"), ("wamid.E3", "dos muzzas grandes")]
    for mid, text in burst:  # each POST is answered at once; the turns run after, while the next arrive
        assert (await post(service, payloads.text_message(WA, mid, text))).status_code == 200
    replies = await sent_to(graph, WA, 3)
    assert len(replies) == 3
    convo = Conversation("pizzeria", "whatsapp", WA)
    session = await service.app.state.sessions.get_session(app_name=convo.app_name, user_id=convo.session_user, session_id=convo.session_id)
    assert session.state["user_name"] == "Ana"
    assert [i["item_id"] for i in session.state["current_order"]["items"]] == ["muzzarella"]
    users = [e.content.parts[0].text for e in session.events if e.author == "user"]
    assert users == ["hola", "me llamo Ana", "dos muzzas grandes"]  # arrival order, each once


async def test_non_text_message_gets_a_request_for_text(wa: tuple[Service, FakeGraph]) -> None:
    service, graph = wa
    response = await post(service, payloads.inbound(payloads.image(WA, "wamid.F1", caption="mi pedido")))
    assert response.status_code == 200
    assert await sent_to(graph, WA, 1) == [NON_TEXT_REPLY]
    assert service.models["pizzeria"].requests == []


async def test_status_updates_are_acknowledged_without_a_reply(wa: tuple[Service, FakeGraph]) -> None:
    service, graph = wa
    response = await post(service, payloads.statuses(payloads.status("wamid.G1", WA, "delivered")))
    assert response.status_code == 200 and response.json()["statuses"] == 1
    await asyncio.sleep(0.3)
    assert graph.sent == []


async def test_a_button_reply_is_read_as_text(wa: tuple[Service, FakeGraph]) -> None:
    service, graph = wa
    response = await post(service, payloads.inbound(payloads.button_reply(WA, "wamid.H1", "Ver el menú")))
    assert response.status_code == 200
    replies = await sent_to(graph, WA, 1)
    assert replies and replies[0] != NON_TEXT_REPLY
