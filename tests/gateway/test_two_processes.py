"""Two real service processes (uvicorn, different ports) sharing one PostgreSQL.

Sessions (ADK's tables), the inbox (dedupe + per-conversation leases) and the shop live
in PostgreSQL (`benchmarks.kill_redeliver.Replicas`: a fresh schema and sessions database
per run, dropped after); the pizzeria's JSON files in one shared directory. A conversation whose
turns alternate between the processes completes with one saved order, and the same
WhatsApp delivery posted to both is answered once.
"""

from __future__ import annotations

import concurrent.futures
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks import payloads
from benchmarks.fake_graph import FakeGraph
from benchmarks.kill_redeliver import Replicas
from tests.gateway.conftest import APP_SECRET, SECRET, token
from tools.settings import TRIAL_MOMENT


@pytest.fixture(scope="module")
def two_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path, FakeGraph]]:
    with FakeGraph() as fake_graph:
        replicas = Replicas(fake_graph, tmp_path_factory.mktemp("two"),
                            overrides={"JWT_SECRET": SECRET, "WHATSAPP_APP_SECRET": APP_SECRET, "PIZZERIA_NOW": TRIAL_MOMENT})
        try:
            replicas.start(2)  # the first creates the tables
            yield replicas.bases[0], replicas.bases[1], replicas.data_dir / "pizzeria", fake_graph
        finally:
            replicas.stop()


def test_a_conversation_alternating_between_two_processes(two_services: tuple[str, str, Path, FakeGraph]) -> None:
    first, second, data_dir, _ = two_services
    customer = f"54911{uuid.uuid4().int % 10**8:08d}"
    headers = {"Authorization": f"Bearer {token(customer)}"}
    turns = ["hola", "me llamo Lucía", "dos muzzas grandes y una coca de litro y medio", "sacá una muzza", "eso es todo", "sí",
             "Av. Rivadavia 5000, 3° A", "transferencia"]
    results = []
    for i, text_ in enumerate(turns):
        base = first if i % 2 == 0 else second
        response = httpx.post(f"{base}/v1/chat/pizzeria", json={"text": text_}, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
        results.append(response.json())
    assert len({r["session_id"] for r in results}) == 1
    orders = json.loads((data_dir / "pedidos.json").read_text(encoding="utf-8"))
    mine = [o for o in orders if o["customer_name"] == "Lucía"]
    assert len(mine) == 1
    items = {(i["item_id"], i["quantity"]) for i in mine[0]["items"]}
    assert ("muzzarella", 1) in items and len(items) == 2


def test_the_same_whatsapp_delivery_to_both_processes_is_answered_once(two_services: tuple[str, str, Path, FakeGraph]) -> None:
    first, second, _, fake_graph = two_services
    wa_id = f"54911{uuid.uuid4().int % 10**8:08d}"
    body = payloads.as_body(payloads.text_message(wa_id, f"wamid.{uuid.uuid4().hex}", "hola"))
    headers = {"X-Hub-Signature-256": payloads.sign(body, APP_SECRET), "Content-Type": "application/json"}
    with httpx.Client(timeout=30) as client, concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda base: client.post(f"{base}/webhooks/whatsapp/pizzeria", content=body, headers=headers),
                                [first, second]))
    assert [a.status_code for a in answers] == [200, 200]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not [m for m in fake_graph.sent if m.to == wa_id]:
        time.sleep(0.1)
    time.sleep(1.0)  # time for a second (wrong) answer to arrive
    assert len([m for m in fake_graph.sent if m.to == wa_id]) == 1
