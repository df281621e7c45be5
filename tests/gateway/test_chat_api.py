"""`/v1/chat`: identity from the session token only, roles capped by the customer record, ADK's raw API closed."""

from __future__ import annotations

import json

import pytest

from ecommerce_agent.demo_policy import demo_policy as shop_policy
from tests.chat import saved_orders
from tests.gateway.conftest import OPERATOR, SERVER_KEY, Service, token
from tools.llm.scripted import Reply, Rule, rules
from tools.settings import get_settings

C0001, C0002 = "5491160000001", "5491160000002"


async def _sessions(service: Service) -> int:
    listed = await service.app.state.sessions.list_sessions(app_name="ecommerce_agent")
    return len(listed.sessions)


@pytest.mark.parametrize(
    "bearer",
    [
        None,
        token(C0001, ttl=-30),  # expired
        token(C0001, secret="another-secret-0123456789abcdef01234567"),  # forged
        "not.a.jwt",
        token(C0001, role="owner"),  # a role that does not exist
        token(C0001, iss="someone-else"),
    ],
    ids=["missing", "expired", "forged", "garbage", "unknown-role", "wrong-issuer"],
)
async def test_requests_without_a_valid_token_get_401_and_run_nothing(service: Service, bearer: str | None) -> None:
    before = len(service.models["ecommerce"].requests)
    response = await service.chat("ecommerce", "donde esta mi pedido 4581230", bearer)
    assert response.status_code == 401
    assert len(service.models["ecommerce"].requests) == before and await _sessions(service) == 0


async def test_alg_none_token_is_refused(service: Service) -> None:
    header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"  # {"alg":"none","typ":"JWT"}
    import base64

    body = base64.urlsafe_b64encode(json.dumps({"sub": C0001, "role": "support_staff", "exp": 9999999999, "iat": 1,
                                                "iss": "local-shop-agents"}).encode()).rstrip(b"=").decode()
    response = await service.chat("ecommerce", "hola", f"{header}.{body}.")
    assert response.status_code == 401


async def test_role_escalation_is_refused(service: Service) -> None:
    response = await service.chat("ecommerce", "buscame el pedido 4581231", token(C0001, role="support_staff"))
    assert response.status_code == 403
    assert await _sessions(service) == 0


async def test_a_customer_sees_only_their_own_orders(service: Service) -> None:
    own = await service.chat("ecommerce", "donde esta mi pedido 4581230", token(C0001))
    assert own.status_code == 200, own.text
    body = own.json()
    assert "4581230" in body["reply"] and body["intent"] == "order_tracking" and body["session_id"]
    other = await service.chat("ecommerce", "donde esta mi pedido 4581231", token(C0001))  # C0002's order
    assert other.status_code == 200
    assert "4581231" not in other.json()["reply"] or "no encontr" in other.json()["reply"].lower()
    # The same number asked by its owner is found: the refusal above was about identity, not the number.
    theirs = await service.chat("ecommerce", "donde esta mi pedido 4581231", token(C0002, role="premium_customer"))
    assert theirs.json()["session_id"] != body["session_id"]
    assert "no encontr" not in theirs.json()["reply"].lower()


async def test_a_lower_role_in_the_token_lowers_permissions(service: Service) -> None:
    assert (await service.chat("tienda", "x", token("staff-0001", role="support_staff"))).status_code == 404  # unknown agent
    ask = "buscame el pedido 4581231 de un cliente"
    # The model asks for the staff-only lookup; only the role decides whether it runs.
    service.models["ecommerce"].policy = rules(
        Rule("tracking_agent", reply=Reply.call("lookup_any_order", order_number="4581231")), fallback=shop_policy
    )
    as_staff = await service.chat("ecommerce", ask, token("staff-0001", role="support_staff"))
    as_customer = await service.chat("ecommerce", ask, token("staff-0001", role="customer"))
    assert as_staff.status_code == as_customer.status_code == 200
    assert "no encontr" not in as_staff.json()["reply"].lower()
    assert "no encontr" in as_customer.json()["reply"].lower() or "solo para el personal" in as_customer.json()["reply"]


async def test_pizzeria_order_over_http_reports_the_phase(service: Service) -> None:
    bearer = token("5491100000777")
    phases = []
    for text in ["hola", "me llamo Ana", "dos muzzas grandes", "eso es todo", "sí", "Av. Corrientes 1234", "efectivo"]:
        response = await service.chat("pizzeria", text, bearer)
        assert response.status_code == 200, response.text
        phases.append(response.json()["phase"])
    assert phases[2] == "TOMANDO_PEDIDO" and phases[3] == "CONFIRMANDO_PEDIDO" and phases[5] == "RECOGIENDO_DIRECCION"
    [order] = saved_orders()  # this test's own data directory
    assert [(i["item_id"], i["quantity"]) for i in order["items"]] == [("muzzarella", 2)]


async def test_a_retried_request_with_the_same_idempotency_key_runs_once(service: Service) -> None:
    bearer = token("5491100000778")
    first = await service.chat("pizzeria", "dos muzzas grandes", bearer, idempotency_key="req-1")
    calls = len(service.models["pizzeria"].requests)
    again = await service.chat("pizzeria", "dos muzzas grandes", bearer, idempotency_key="req-1")
    assert again.json()["reply"] == first.json()["reply"] and again.json()["duplicate"] is True
    assert len(service.models["pizzeria"].requests) == calls


async def test_tokens_are_issued_only_to_the_server_key(service: Service) -> None:
    refused = await service.client.post("/v1/tokens", json={"subject": C0001})
    assert refused.status_code == 401
    wrong = await service.client.post("/v1/tokens", json={"subject": C0001}, headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401
    issued = await service.client.post("/v1/tokens", json={"subject": C0001, "role": "customer"}, headers={"X-API-Key": SERVER_KEY})
    assert issued.status_code == 200
    reply = await service.chat("ecommerce", "donde esta mi pedido 4581230", issued.json()["token"])
    assert reply.status_code == 200 and "4581230" in reply.json()["reply"]


async def test_adk_raw_api_needs_the_server_key(service: Service) -> None:
    assert (await service.client.get("/list-apps")).status_code == 401
    listed = await service.client.get("/list-apps", headers={"X-API-Key": SERVER_KEY})
    assert listed.status_code == 200 and set(listed.json()) == {"pizzeria_agent", "ecommerce_agent"}
    forged_user = await service.client.post("/apps/ecommerce_agent/users/5491160000002/sessions")
    assert forged_user.status_code == 401


async def test_adk_raw_api_can_be_switched_off(service_env: None, shop, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from tests.gateway.conftest import open_service

    monkeypatch.setenv("EXPOSE_ADK_API", "false")
    get_settings.cache_clear()
    async for service in open_service():
        assert (await service.client.get("/list-apps", headers={"X-API-Key": SERVER_KEY})).status_code == 404
        assert (await service.client.get("/healthz")).status_code == 200


async def test_handoff_operator_endpoints(service: Service) -> None:
    bearer = token(C0001)
    handed = await service.chat("ecommerce", "quiero hablar con una persona", bearer)
    assert handed.json()["handed_off"] is True
    silent = await service.chat("ecommerce", "hola? hay alguien?", bearer)
    assert silent.json()["reply"] == "" and silent.json()["handed_off"] is True

    assert (await service.client.get("/v1/operator/ecommerce/handoffs")).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await service.client.get("/v1/operator/ecommerce/handoffs", headers=wrong)).status_code == 401
    ops = {"Authorization": f"Bearer {OPERATOR}"}
    listed = (await service.client.get("/v1/operator/ecommerce/handoffs", headers=ops)).json()
    assert [h["session_id"] for h in listed] == [handed.json()["session_id"]] and listed[0]["reason"]
    session_id = listed[0]["session_id"]
    said = await service.client.post(f"/v1/operator/ecommerce/handoffs/{session_id}/reply", json={"text": "Hola, soy Marta."},
                                      headers=ops)
    assert said.status_code == 200
    assert (await service.client.post(f"/v1/operator/ecommerce/handoffs/{session_id}/release", headers=wrong)).status_code == 401
    assert (await service.client.post(f"/v1/operator/ecommerce/handoffs/{session_id}/release", headers=ops)).status_code == 200
    assert (await service.client.get("/v1/operator/ecommerce/handoffs", headers=ops)).json() == []
    back = await service.chat("ecommerce", "donde esta mi pedido 4581230", bearer)
    assert back.json()["handed_off"] is False and "4581230" in back.json()["reply"]


async def test_unstorable_characters_are_cleaned_before_anything_stores_them(service: Service) -> None:
    # A lone surrogate (valid JSON escape, invalid Unicode) and a NUL, which PostgreSQL refuses.
    body = '{"text": "hola \\ud83d soy Ana\\u0000"}'
    response = await service.client.post("/v1/chat/pizzeria", content=body,
                                         headers={"Authorization": f"Bearer {token('5491100000779')}", "Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["reply"]
