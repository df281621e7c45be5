"""The staff panels in-process: the board shows decrypted orders, buttons move them once, customers hear each change.

The service runs with its lifespan (notifier loop included) on the scripted agents;
the panel is driven like a browser would (login form, session cookie, CSRF token).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from google.adk.events import Event, EventActions

from gateway.turns import Conversation
from tests.gateway import panel_client
from tests.gateway.conftest import OPERATOR, Service, token
from tests.gateway.panel_client import panel_service  # noqa: F401  (the `panel` fixture)
from tools.llm.handoff import handoff_delta
from tools.pizzeria import replies, stores
from tools.pizzeria.stores import OrderStatus
from tools.settings import REPO_ROOT, get_settings

ORDER_TURNS = ["hola", "me llamo Ana", "dos muzzas grandes", "eso es todo", "sí", "Av. Corrientes 1234", "en efectivo"]


async def place_order(service: Service, customer: str) -> int:
    bearer = token(customer)
    for text in ORDER_TURNS:
        response = await service.chat("pizzeria", text, bearer)
        assert response.status_code == 200, response.text
    [order] = [o for o in stores.orders().all() if o.user_id == customer]
    return order.order_id


async def messages(service: Service, customer: str, after: int = 0, agent: str = "pizzeria") -> list[dict]:
    response = await service.client.get(f"/v1/chat/{agent}/messages", params={"after": after},
                                        headers={"Authorization": f"Bearer {token(customer)}"})
    assert response.status_code == 200, response.text
    return response.json()["messages"]


async def test_an_order_placed_over_http_is_on_the_board_decrypted_with_its_channel(panel: Service, data_dir: Path) -> None:
    order_id = await place_order(panel, "5491100000901")
    stored = json.loads((data_dir / "pedidos.json").read_text())
    assert "Corrientes" not in json.dumps(stored)  # encrypted at rest...
    assert (await panel_client.login(panel.client, "pizzeria")).status_code == 303
    live = await panel.client.get("/panel/pizzeria/live")
    assert live.status_code == 200
    assert f"#{order_id}" in live.text and "Av. Corrientes 1234" in live.text and "Ana" in live.text and "efectivo" in live.text  # ...shown decrypted
    assert "Empezar a preparar" in live.text and "Web" in live.text
    order = stores.orders().get(order_id)
    assert order and order.channel == "web" and order.session_id and order.session_id.startswith("web-")
    assert [(c.status, c.by) for c in order.status_changes] == [(OrderStatus.RECEIVED, "bot")]
    version = live.headers["X-Panel-Version"]
    unchanged = await panel.client.get("/panel/pizzeria/live", params={"v": version})
    assert unchanged.status_code == 204


async def test_each_status_reaches_the_web_customer_once(panel: Service) -> None:
    customer = "5491100000902"
    order_id = await place_order(panel, customer)
    await panel_client.login(panel.client, "pizzeria", name="Carlos")
    csrf = await panel_client.csrf(panel.client, "pizzeria")
    path = f"/orders/{order_id}/status"
    for status in (OrderStatus.COOKING, OrderStatus.ON_THE_WAY, OrderStatus.DELIVERED):
        moved = await panel_client.post(panel.client, "pizzeria", path, csrf, status=status)
        assert moved.status_code == 200 and moved.json()["status"] == status, moved.text
        again = await panel_client.post(panel.client, "pizzeria", path, csrf, status=status)  # a double tap
        assert again.status_code == 200
    texts = [m["text"] for m in await messages(panel, customer)]
    assert texts == [replies.status_notice(order_id, s) for s in ("en preparación", "en camino", "entregado")]
    order = stores.orders().get(order_id)
    assert order and [c.by for c in order.status_changes] == ["bot", "Carlos", "Carlos", "Carlos"]
    first = (await messages(panel, customer))[0]["id"]
    assert [m["text"] for m in await messages(panel, customer, after=first)] == texts[1:]
    refused = await panel_client.post(panel.client, "pizzeria", path, csrf, status="cancelado", reason="tarde")
    assert refused.status_code == 409 and "entregado" in refused.json()["detail"]
    assert len(await messages(panel, customer)) == 3


async def test_cancel_needs_a_reason_and_tells_the_customer_why(panel: Service) -> None:
    customer = "5491100000903"
    order_id = await place_order(panel, customer)
    await panel_client.login(panel.client, "pizzeria")
    csrf = await panel_client.csrf(panel.client, "pizzeria")
    path = f"/orders/{order_id}/status"
    skipped = await panel_client.post(panel.client, "pizzeria", path, csrf, status="en camino")
    assert skipped.status_code == 409  # recibido -> en camino skips the kitchen
    bare = await panel_client.post(panel.client, "pizzeria", path, csrf, status="cancelado", reason="  ")
    assert bare.status_code == 409 and "motivo" in bare.json()["detail"]
    done = await panel_client.post(panel.client, "pizzeria", path, csrf, status="cancelado", reason="Sin stock")
    assert done.status_code == 200
    [message] = await messages(panel, customer)
    assert "cancelado" in message["text"] and "Sin stock" in message["text"]
    live = await panel.client.get("/panel/pizzeria/live")
    assert "Terminados hoy" in live.text and "Sin stock" in live.text


async def test_a_change_from_the_command_line_reaches_the_customer_through_the_sweep(panel: Service) -> None:
    customer = "5491100000904"
    order_id = await place_order(panel, customer)
    env = os.environ | {"PIZZERIA_DATA_DIR": str(get_settings().pizzeria_data_dir)}
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tools.pizzeria.orders", "status", str(order_id), "preparacion", "--by", "Caja",
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(cli.communicate(), 60)
    assert cli.returncode == 0 and "avisa al cliente" in out.decode(), err.decode()
    assert await panel.app.state.service.notifier.sweep_orders() == 1
    assert await panel.app.state.service.notifier.sweep_orders() == 0  # file unchanged: not even read
    panel.app.state.service.notifier._seen = None
    assert await panel.app.state.service.notifier.sweep_orders() == 0  # read again: the change is known
    assert [m["text"] for m in await messages(panel, customer)] == [replies.status_notice(order_id, "en preparación")]
    order = stores.orders().get(order_id)
    assert order and order.status_changes[-1].by == "Caja"


async def test_the_shop_console_operator_reply_reaches_the_web_customer(panel: Service) -> None:
    customer = "5491160000001"
    handed = await panel.chat("ecommerce", "quiero hablar con una persona", token(customer))
    assert handed.json()["handed_off"] is True
    await panel_client.login(panel.client, "ecommerce", name="Lucía")
    page = await panel.client.get("/panel/ecommerce")
    assert "pidió hablar con una persona" in page.text and "quiero hablar con una persona" in page.text
    csrf = await panel_client.csrf(panel.client, "ecommerce")
    session_id = handed.json()["session_id"]
    for _ in range(2):  # the same send retried: one message
        said = await panel_client.post(panel.client, "ecommerce", f"/handoffs/{session_id}/reply", csrf,
                                       text="Hola, soy Lucía. ¿En qué te ayudo?", key="k1")
        assert said.status_code == 200
    assert [m["text"] for m in await messages(panel, customer, agent="ecommerce")] == ["Hola, soy Lucía. ¿En qué te ayudo?"]
    assert await messages(panel, "5491160000002", agent="ecommerce") == []  # another customer sees nothing
    released = await panel_client.post(panel.client, "ecommerce", f"/handoffs/{session_id}/release", csrf)
    assert released.status_code == 200
    again = await panel_client.post(panel.client, "ecommerce", f"/handoffs/{session_id}/release", csrf)  # a second phone
    assert again.status_code == 404 and again.json()["detail"] == "Esa conversación ya no está esperando a una persona."
    assert "Nadie está esperando" in (await panel.client.get("/panel/ecommerce/live")).text
    back = await panel.chat("ecommerce", "donde esta mi pedido 4581230", token(customer))
    assert back.json()["handed_off"] is False and "4581230" in back.json()["reply"]


async def test_the_bearer_operator_reply_reaches_the_web_customer_too(panel: Service) -> None:
    customer = "5491160000001"
    handed = await panel.chat("ecommerce", "quiero hablar con una persona", token(customer))
    ops = {"Authorization": f"Bearer {OPERATOR}", "Idempotency-Key": "r-1"}
    url = f"/v1/operator/ecommerce/handoffs/{handed.json()['session_id']}/reply"
    first = await panel.client.post(url, json={"text": "Te escribe Marta."}, headers=ops)
    again = await panel.client.post(url, json={"text": "Te escribe Marta."}, headers=ops)
    assert first.json() == {"status": "sent"} and again.json() == {"status": "duplicate"}
    assert [m["kind"] for m in await messages(panel, customer, agent="ecommerce")] == ["operator"]


async def test_the_board_survives_concurrent_taps_on_one_order(panel: Service) -> None:
    customer = "5491100000905"
    order_id = await place_order(panel, customer)
    await panel_client.login(panel.client, "pizzeria")
    csrf = await panel_client.csrf(panel.client, "pizzeria")
    taps = await asyncio.gather(*[
        panel_client.post(panel.client, "pizzeria", f"/orders/{order_id}/status", csrf, status="en preparación") for _ in range(5)
    ])
    assert {t.status_code for t in taps} == {200}
    order = stores.orders().get(order_id)
    assert order and [c.status for c in order.status_changes] == [OrderStatus.RECEIVED, OrderStatus.COOKING]
    assert len(await messages(panel, customer)) == 1


async def test_a_handed_off_pizzeria_conversation_is_on_the_board(panel: Service) -> None:
    customer = "5491100000907"
    await panel.chat("pizzeria", "hola", token(customer))
    sessions = panel.app.state.sessions
    convo = Conversation("pizzeria", "web", customer)
    session = await sessions.get_session(app_name=convo.app_name, user_id=convo.session_user, session_id=convo.session_id)
    # What the pizzeria's handoff (another issue) records: the shared handoff keys.
    await sessions.append_event(session, Event(invocation_id="h", author="pizzeria_agent", actions=EventActions(
        state_delta=handoff_delta("reclamo por un pedido", "La pizza llegó fría."))))
    await panel_client.login(panel.client, "pizzeria")
    live = await panel.client.get("/panel/pizzeria/live")
    assert "Atención humana" in live.text and "Reclamo por un pedido" in live.text and "La pizza llegó fría." in live.text
    csrf = await panel_client.csrf(panel.client, "pizzeria")
    said = await panel_client.post(panel.client, "pizzeria", f"/handoffs/{convo.session_id}/reply", csrf, text="Ya te llamamos.")
    assert said.status_code == 200
    assert [m["text"] for m in await messages(panel, customer)] == ["Ya te llamamos."]
    await panel_client.login(panel.client, "ecommerce")  # the shop's console does not list the pizzeria's conversation
    console = await panel.client.get("/panel/ecommerce/live")
    assert convo.session_id not in console.text and "Nadie está esperando" in console.text
    shop = await panel_client.csrf(panel.client, "ecommerce")
    crossed = await panel_client.post(panel.client, "ecommerce", f"/handoffs/{convo.session_id}/reply", shop, text="x")
    assert crossed.status_code == 404  # nor answers it
    assert (await panel_client.post(panel.client, "pizzeria", f"/handoffs/{convo.session_id}/release", csrf)).status_code == 200
    assert "Atención humana" not in (await panel.client.get("/panel/pizzeria/live")).text
