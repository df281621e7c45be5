"""Inputs that used to answer 500, the body size cap, and token revocation, through the whole app."""

from __future__ import annotations

import json

import pytest

from benchmarks import payloads
from tests.gateway.conftest import APP_SECRET, SERVER_KEY, Service, token

BAD_SUBJECTS = ["5" * 200, "54911\x000001", "ana\ud83d", "ana maría", ""]


async def test_signed_deeply_nested_webhook_json_is_a_400(service: Service) -> None:
    body = b'{"object": "whatsapp_business_account", "entry": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = await service.client.post("/webhooks/whatsapp/pizzeria", content=body, headers={
        "X-Hub-Signature-256": payloads.sign(body, APP_SECRET), "Content-Type": "application/json"})
    assert answer.status_code == 400


async def test_deeply_nested_chat_json_is_a_422(service: Service) -> None:
    body = b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = await service.client.post("/v1/chat/pizzeria", content=body, headers={
        "Authorization": f"Bearer {token('5491100000101')}", "Content-Type": "application/json"})
    assert answer.status_code == 422


@pytest.mark.parametrize("subject", BAD_SUBJECTS, ids=["200-chars", "nul", "lone-surrogate", "space", "empty"])
async def test_a_token_for_an_unusable_subject_is_neither_issued_nor_accepted(service: Service, subject: str) -> None:
    issued = await service.client.post("/v1/tokens", content=json.dumps({"subject": subject}),  # \ud83d escaped as JSON allows
                                       headers={"X-API-Key": SERVER_KEY, "Content-Type": "application/json"})
    assert issued.status_code == 422
    if subject:  # a token someone signed with the secret anyway is refused, not a 500
        answer = await service.chat("pizzeria", "hola", token(subject))
        assert answer.status_code == 401


async def test_subjects_the_shop_uses_get_tokens(service: Service) -> None:
    for subject in ("5491100000102", "C0001", "ana.perez+tienda@example.com", "cliente_42-b"):
        issued = await service.client.post("/v1/tokens", json={"subject": subject}, headers={"X-API-Key": SERVER_KEY})
        assert issued.status_code == 200, issued.text


async def test_a_body_over_the_cap_is_a_413(service: Service) -> None:
    cap = service.app.state.service.settings.max_body_bytes
    body = b'{"text": "' + b"a" * cap + b'"}'
    chat = await service.client.post("/v1/chat/pizzeria", content=body, headers={
        "Authorization": f"Bearer {token('5491100000103')}", "Content-Type": "application/json"})
    assert chat.status_code == 413
    hook = await service.client.post("/webhooks/whatsapp/pizzeria", content=body, headers={
        "X-Hub-Signature-256": payloads.sign(body, APP_SECRET), "Content-Type": "application/json"})
    assert hook.status_code == 413


async def test_revoked_tokens_are_refused_and_new_ones_work(service: Service) -> None:
    customer, other = "5491100000104", "5491100000105"
    server = {"X-API-Key": SERVER_KEY}
    old = (await service.client.post("/v1/tokens", json={"subject": customer}, headers=server)).json()["token"]
    hand_made = token(customer)  # no `ver` claim: version 0
    others = (await service.client.post("/v1/tokens", json={"subject": other}, headers=server)).json()["token"]
    assert (await service.chat("pizzeria", "hola", old)).status_code == 200
    assert (await service.client.post("/v1/tokens/revoke", json={"subject": customer})).status_code == 401
    assert (await service.client.post("/v1/tokens/revoke", json={"subject": customer}, headers={
        "Authorization": f"Bearer {old}"})).status_code == 401  # a customer cannot revoke
    revoked = await service.client.post("/v1/tokens/revoke", json={"subject": customer}, headers=server)
    assert revoked.status_code == 200 and revoked.json()["version"] == 1
    for stale in (old, hand_made):
        refused = await service.chat("pizzeria", "hola", stale)
        assert refused.status_code == 401 and refused.json()["detail"] == "revoked token"
        assert (await service.client.get("/v1/chat/pizzeria/messages", headers={"Authorization": f"Bearer {stale}"})).status_code == 401
    assert (await service.chat("pizzeria", "hola", others)).status_code == 200  # only that customer's tokens
    new = (await service.client.post("/v1/tokens", json={"subject": customer}, headers=server)).json()["token"]
    assert (await service.chat("pizzeria", "hola", new)).status_code == 200
    assert (await service.client.post("/v1/tokens/revoke", json={"subject": customer}, headers=server)).json()["version"] == 2
    assert (await service.chat("pizzeria", "hola", new)).status_code == 401


@pytest.mark.parametrize(("expose", "key", "path", "refused"), [
    (False, SERVER_KEY, "/run_live", (404, "Not Found")),  # EXPOSE_ADK_API=false: not even with the key
    (True, None, "/run_live", (401, "server API key required")),
    (True, "guess", "/run_live", (401, "server API key required")),
    (True, SERVER_KEY, "/run_live", None),  # the shop's backend may use ADK's live API
    (True, SERVER_KEY, "/v1/chat/pizzeria", (404, "Not Found")),  # we serve no WebSocket of our own
])
def test_websockets_follow_the_adk_api_rule(expose: bool, key: str | None, path: str, refused: tuple[int, str] | None) -> None:
    from gateway.edge import GuardAdkApi
    from tools.settings import Settings

    guard = GuardAdkApi(app=None, settings=Settings(expose_adk_api=expose, server_api_key=SERVER_KEY))  # type: ignore[arg-type]
    headers = [(b"x-api-key", key.encode())] if key else []
    assert guard.refusal({"type": "websocket", "path": path, "headers": headers}) == refused
