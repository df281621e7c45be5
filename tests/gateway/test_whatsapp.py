"""WhatsApp Cloud API pieces: handshake, signatures, notification parsing, and replies against a fake Graph API."""

from __future__ import annotations

import hashlib
import hmac
import logging
import socket
import time
from typing import Any

import httpx
import pytest

from benchmarks import payloads as p
from benchmarks.fake_graph import FakeGraph
from gateway.whatsapp import (
    GraphSender,
    LoggingSender,
    SendError,
    SignatureCheck,
    check_signature,
    mask_phone,
    parse_webhook,
    sender_from_settings,
    split_text,
    verify_handshake,
)
from tools.crypto import get_cipher
from tools.llm.replies import NON_TEXT as NON_TEXT_REPLY
from tools.settings import Settings

ANA = "5491112340001"
BETO = "5493511234567"


# --- handshake ---------------------------------------------------------------------------------


def test_handshake_echoes_the_challenge_for_the_right_token() -> None:
    assert verify_handshake("subscribe", "vt-secreto", "1158201444", "vt-secreto") == "1158201444"


@pytest.mark.parametrize("token", ["otro", "vt-secret", "vt-secreto ", "", None, "vt-secretó"])
def test_handshake_rejects_a_wrong_token(token: str | None) -> None:
    assert verify_handshake("subscribe", token, "1158201444", "vt-secreto") is None


@pytest.mark.parametrize("mode", ["unsubscribe", "SUBSCRIBE", "", None])
def test_handshake_rejects_a_wrong_mode(mode: str | None) -> None:
    assert verify_handshake(mode, "vt-secreto", "1158201444", "vt-secreto") is None


def test_handshake_never_verifies_with_an_empty_configured_token() -> None:
    assert verify_handshake("subscribe", "", "1158201444", "") is None
    assert verify_handshake("subscribe", None, "1158201444", "") is None


def test_handshake_without_challenge_fails() -> None:
    assert verify_handshake("subscribe", "vt-secreto", None, "vt-secreto") is None
    assert verify_handshake("subscribe", "vt-secreto", "", "vt-secreto") is None


# --- signature ---------------------------------------------------------------------------------

SECRET = "app-secret-de-prueba"
BODY = '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}],"nombre":"Peña"}'.encode()
GOOD_HEX = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


def test_signature_of_the_raw_body_is_ok() -> None:
    assert check_signature(BODY, f"sha256={GOOD_HEX}", SECRET) == "ok"
    assert check_signature(BODY, f"sha256={GOOD_HEX.upper()}", SECRET) is SignatureCheck.OK


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_signature(header: str | None) -> None:
    assert check_signature(BODY, header, SECRET) == "missing"


def test_signature_from_another_secret_or_body_is_bad() -> None:
    other_secret = hmac.new(b"otro-secreto", BODY, hashlib.sha256).hexdigest()
    assert check_signature(BODY, f"sha256={other_secret}", SECRET) == "bad"
    assert check_signature(BODY + b" ", f"sha256={GOOD_HEX}", SECRET) == "bad"
    reserialized = b'{"object": "whatsapp_business_account"}'  # same JSON, other bytes
    assert check_signature(reserialized, "sha256=" + hmac.new(
        SECRET.encode(), b'{"object":"whatsapp_business_account"}', hashlib.sha256).hexdigest(), SECRET) == "bad"


@pytest.mark.parametrize("header", [
    GOOD_HEX,  # no "sha256=" prefix
    f"sha1={hashlib.sha1(BODY).hexdigest()}",
    "sha256=",
    f"sha256={GOOD_HEX[:-2]}",
    f"sha256={GOOD_HEX}00",
    f"sha256={'z' * 64}",
    f"sha256={'ñ' * 64}",
    f"sha256={GOOD_HEX},sha256={GOOD_HEX}",
])
def test_malformed_signature_is_bad(header: str) -> None:
    assert check_signature(BODY, header, SECRET) == "bad"


def test_empty_app_secret_is_never_ok() -> None:
    keyed_with_nothing = hmac.new(b"", BODY, hashlib.sha256).hexdigest()
    assert check_signature(BODY, f"sha256={keyed_with_nothing}", "") == "bad"


def test_payload_helper_signs_like_meta() -> None:
    assert p.sign(BODY, SECRET) == f"sha256={GOOD_HEX}"


# --- parsing -----------------------------------------------------------------------------------


def test_text_message() -> None:
    batch = parse_webhook(p.text_message(ANA, "wamid.A1", "Hola, ¿tienen envío a Córdoba?", name="Ana Pérez"))
    assert batch.ignored == 0 and batch.statuses == []
    [message] = batch.messages
    assert message.message_id == "wamid.A1"
    assert message.wa_id == ANA
    assert message.timestamp == 1763650800
    assert message.kind == "text"
    assert message.text == "Hola, ¿tienen envío a Córdoba?"
    assert message.name == "Ana Pérez"
    assert message.phone_number_id == p.PHONE_NUMBER_ID


def test_image_has_no_text() -> None:
    [message] = parse_webhook(p.inbound(p.image(ANA, "wamid.I1", caption="¿Lo tienen en negro?"))).messages
    assert (message.kind, message.text, message.message_id) == ("image", None, "wamid.I1")


@pytest.mark.parametrize(("item", "kind", "expected"), [
    (p.button_reply(ANA, "wamid.B1", "Sí, confirmar"), "interactive", "Sí, confirmar"),
    (p.list_reply(ANA, "wamid.B2", "Muzzarella grande", description="8 porciones"), "interactive", "Muzzarella grande"),
    (p.quick_reply(ANA, "wamid.B3", "Ver mi pedido"), "button", "Ver mi pedido"),
])
def test_taps_on_buttons_and_lists_count_as_text(item: dict[str, Any], kind: str, expected: str) -> None:
    [message] = parse_webhook(p.inbound(item)).messages
    assert (message.kind, message.text, message.wa_id) == (kind, expected, ANA)


@pytest.mark.parametrize(("item", "kind"), [
    (p.reaction(ANA, "wamid.R1", reacted_to="wamid.OURS9"), "reaction"),
    (p.unsupported(ANA, "wamid.U1"), "unsupported"),
])
def test_reactions_and_unsupported_types_are_messages_without_text(item: dict[str, Any], kind: str) -> None:
    batch = parse_webhook(p.inbound(item))
    assert [(m.kind, m.text) for m in batch.messages] == [(kind, None)]
    assert batch.ignored == 0


@pytest.mark.parametrize("state", ["sent", "delivered", "read"])
def test_status_updates(state: str) -> None:
    batch = parse_webhook(p.statuses(p.status("wamid.OURS1", ANA, state, timestamp="1763650860")))
    assert batch.messages == [] and batch.ignored == 0
    [update] = batch.statuses
    assert (update.message_id, update.status, update.recipient_id, update.timestamp, update.error) == (
        "wamid.OURS1", state, ANA, 1763650860, None)


def test_failed_status_carries_the_error() -> None:
    [update] = parse_webhook(p.statuses(p.status("wamid.OURS2", ANA, "failed"))).statuses
    assert update.status == "failed"
    assert update.error == "131047 Re-engagement message"


def test_a_batch_with_two_messages_and_a_status_keeps_everything_in_order() -> None:
    payload = p.merge(
        p.inbound(p.text(ANA, "wamid.M1", "Quiero una muzza"), p.text(BETO, "wamid.M2", "Hola")),
        p.statuses(p.status("wamid.OURS3", ANA, "read")),
    )
    batch = parse_webhook(payload)
    assert [(m.message_id, m.wa_id, m.text) for m in batch.messages] == [
        ("wamid.M1", ANA, "Quiero una muzza"), ("wamid.M2", BETO, "Hola")]
    assert [(s.message_id, s.status) for s in batch.statuses] == [("wamid.OURS3", "read")]
    assert batch.ignored == 0


def test_unknown_fields_are_ignored() -> None:
    payload = p.text_message(ANA, "wamid.X1", "hola")
    value = payload["entry"][0]["changes"][0]["value"]
    value["nuevo_campo"] = {"x": 1}
    value["messages"][0]["context"] = {"forwarded": True, "frequently_forwarded": False}
    value["messages"][0]["text"]["extra"] = 3
    value["contacts"][0]["user_id"] = "AR.1234567890"
    payload["entry"][0]["changes"].insert(0, {"field": "account_update", "value": {"event": "VERIFIED"}})
    batch = parse_webhook(payload)
    assert [(m.message_id, m.text) for m in batch.messages] == [("wamid.X1", "hola")]
    assert batch.ignored == 0


def test_unreadable_items_are_skipped_and_counted() -> None:
    payload = p.inbound(p.text(ANA, "wamid.OK1", "bien"))
    value = payload["entry"][0]["changes"][0]["value"]
    no_sender = p.text(ANA, "wamid.BAD1", "x")
    del no_sender["from"]
    value["messages"] += [
        no_sender,
        p.text(ANA, "wamid.BAD2", "x", timestamp="ayer"),
        {**p.text(ANA, "", "x")},  # empty id
        "no soy un mensaje",
        p.text(BETO, "wamid.OK2", "también bien"),
    ]
    value["statuses"] = [p.status("wamid.OURS4", ANA, "deleted"), {"id": "wamid.OURS5"}, p.status("wamid.OURS6", ANA, "sent")]
    batch = parse_webhook(payload)
    assert [m.message_id for m in batch.messages] == ["wamid.OK1", "wamid.OK2"]
    assert [s.message_id for s in batch.statuses] == ["wamid.OURS6"]
    assert batch.ignored == 6


@pytest.mark.parametrize("payload", [
    None, [], "hola", 42, {},
    {"object": "page", "entry": p.text_message(ANA, "wamid.P1", "hola")["entry"]},
    {"object": "whatsapp_business_account"},
    {"object": "whatsapp_business_account", "entry": "x"},
    {"object": "whatsapp_business_account", "entry": [None, 1, {"changes": None}, {"changes": [None, {"value": "x"}]}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"messages": {"id": "x"}, "statuses": 3,
                                                                              "contacts": "y", "metadata": []}}]}]},
])
def test_garbage_gives_an_empty_batch(payload: Any) -> None:
    batch = parse_webhook(payload)
    assert batch.messages == [] and batch.statuses == []


def test_non_text_reply_is_spanish_and_asks_for_text() -> None:
    assert "texto" in NON_TEXT_REPLY and NON_TEXT_REPLY.endswith("?")


# --- masking and LoggingSender -----------------------------------------------------------------


@pytest.mark.parametrize("number", ["5491112340001", " 5491112340001 ", "+54 9 11 1234-0001"])
def test_mask_phone_is_the_keyed_pseudonym_without_a_digit_of_the_phone(number: str) -> None:
    masked = mask_phone(number)
    assert masked == get_cipher().pseudonym("5491112340001") and "0001" not in masked


async def test_logging_sender_never_logs_the_number_or_the_text(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gateway.whatsapp")
    await LoggingSender().send_text(ANA, "Tu pedido 4581 sale para Av. Corrientes 1234")
    assert caplog.records, "the reply should be logged"
    assert ANA not in caplog.text
    assert "Corrientes" not in caplog.text
    assert mask_phone(ANA) in caplog.text


# --- GraphSender against the fake Graph API ----------------------------------------------------


def graph_sender(fake: FakeGraph, **kwargs: Any) -> GraphSender:
    options: dict[str, Any] = {"timeout_s": 2, "retries": 2, "backoff_s": 0.01} | kwargs
    return GraphSender(fake.url, p.PHONE_NUMBER_ID, fake.access_token, **options)


async def test_graph_request_shape_and_auth(fake_graph: FakeGraph) -> None:  # noqa: F811
    await graph_sender(fake_graph).send_text(ANA, "¡Hola Ana! Tu pedido está en camino.")
    [request] = fake_graph.requests
    assert request.path == f"/v21.0/{p.PHONE_NUMBER_ID}/messages"
    assert request.authorization == "Bearer TEST-GRAPH-TOKEN"
    assert request.body == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": ANA,
                            "type": "text", "text": {"preview_url": False, "body": "¡Hola Ana! Tu pedido está en camino."}}
    assert [(m.to, m.text, m.phone_number_id) for m in fake_graph.sent] == [
        (ANA, "¡Hola Ana! Tu pedido está en camino.", p.PHONE_NUMBER_ID)]


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_graph_retries_server_errors_and_rate_limits(fake_graph: FakeGraph, status: int) -> None:  # noqa: F811
    fake_graph.fail_next(2, status)
    await graph_sender(fake_graph, retries=2).send_text(ANA, "hola")
    assert [r.status for r in fake_graph.requests] == [status, status, 200]
    assert [m.text for m in fake_graph.sent] == ["hola"]


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_graph_does_not_retry_other_client_errors(fake_graph: FakeGraph, status: int) -> None:  # noqa: F811
    fake_graph.fail_next(1, status)
    with pytest.raises(SendError, match=f"refused.*HTTP {status}"):
        await graph_sender(fake_graph, retries=3).send_text(ANA, "hola")
    assert len(fake_graph.requests) == 1 and fake_graph.sent == []


async def test_graph_wrong_token_is_refused_with_the_graph_error(fake_graph: FakeGraph) -> None:  # noqa: F811
    sender = GraphSender(fake_graph.url, p.PHONE_NUMBER_ID, "token-vencido", retries=2, backoff_s=0.01)
    with pytest.raises(SendError, match=r"HTTP 401 \(#190\) Invalid OAuth") as caught:
        await sender.send_text(ANA, "hola")
    assert ANA not in str(caught.value) and mask_phone(ANA) in str(caught.value)
    assert len(fake_graph.requests) == 1


@pytest.mark.parametrize(("status", "problem"), [
    (502, r"HTTP 502 \(#1\) An unknown error has occurred\."),
    (429, r"HTTP 429 \(#130429\) Rate limit hit\)"),  # the code is not repeated
])
async def test_graph_gives_up_after_the_retries(fake_graph: FakeGraph, status: int, problem: str) -> None:  # noqa: F811
    fake_graph.fail_next(10, status)
    with pytest.raises(SendError, match=rf"after 3 attempts \({problem}"):
        await graph_sender(fake_graph, retries=2).send_text(ANA, "hola")
    assert len(fake_graph.requests) == 3 and fake_graph.sent == []


async def test_graph_backoff_doubles(fake_graph: FakeGraph) -> None:  # noqa: F811
    fake_graph.fail_next(10, 500)
    started = time.monotonic()
    with pytest.raises(SendError):
        await graph_sender(fake_graph, retries=2, backoff_s=0.2).send_text(ANA, "hola")
    assert 0.6 <= time.monotonic() - started < 1.5  # 0.2 + 0.4 of waiting


async def test_graph_timeout_is_retried_then_gives_up_in_bounded_time(fake_graph: FakeGraph) -> None:  # noqa: F811
    fake_graph.slow_next(2, 10)
    started = time.monotonic()
    with pytest.raises(SendError, match="after 2 attempts.*Timeout"):
        await graph_sender(fake_graph, timeout_s=0.3, retries=1, backoff_s=0.05).send_text(ANA, "hola")
    elapsed = time.monotonic() - started
    assert 0.6 <= elapsed < 2.0
    assert len(fake_graph.requests) == 2


async def test_graph_slow_answer_then_success(fake_graph: FakeGraph) -> None:  # noqa: F811
    fake_graph.slow_next(1, 10)
    await graph_sender(fake_graph, timeout_s=0.3, retries=1).send_text(ANA, "hola")
    # The first, timed-out request was processed too: the customer gets the text twice.
    assert [m.text for m in fake_graph.sent] == ["hola", "hola"]


async def test_graph_connection_refused_is_a_send_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SendError, match="after 2 attempts.*ConnectError"):
        await GraphSender(f"http://127.0.0.1:{port}/v21.0", "1", "t", retries=1, backoff_s=0.01).send_text(ANA, "hola")


async def test_graph_uses_a_given_client_and_leaves_it_open(fake_graph: FakeGraph) -> None:  # noqa: F811
    async with httpx.AsyncClient() as client:
        sender = graph_sender(fake_graph, client=client)
        await sender.send_text(ANA, "uno")
        await sender.send_text(BETO, "dos")
        assert not client.is_closed
    assert [(m.to, m.text) for m in fake_graph.sent] == [(ANA, "uno"), (BETO, "dos")]


async def test_graph_refuses_an_empty_text(fake_graph: FakeGraph) -> None:  # noqa: F811
    with pytest.raises(ValueError):
        await graph_sender(fake_graph).send_text(ANA, "  \n")
    assert fake_graph.requests == []


def long_reply() -> str:
    """About 11,000 characters in paragraphs of sentences, with accents and emoji."""
    sentence = "La pizza de muzzarella grande sale $12.500 y llega en 40 minutos 🍕. "
    paragraph = (sentence * 9).strip()
    return "\n\n".join(f"{i}. {paragraph}" for i in range(1, 18))


async def test_graph_splits_long_text_at_paragraphs(fake_graph: FakeGraph) -> None:  # noqa: F811
    text = long_reply()
    assert len(text) > 2 * 4096
    await graph_sender(fake_graph).send_text(ANA, text)
    pieces = [m.text for m in fake_graph.sent]
    assert len(pieces) == 3
    assert all(len(piece) <= 4096 for piece in pieces)
    assert "".join(pieces) == text
    assert all(piece.endswith("\n\n") for piece in pieces[:-1])
    assert {m.to for m in fake_graph.sent} == {ANA}


def test_split_prefers_sentences_then_spaces_then_a_hard_cut() -> None:
    sentences = "Hola, esta es una oración de prueba. " * 300  # no paragraph breaks
    pieces = split_text(sentences)
    assert "".join(pieces) == sentences and all(len(x) <= 4096 for x in pieces)
    assert all(x.endswith(". ") for x in pieces)
    words = "palabra " * 1200  # no sentence ends
    pieces = split_text(words)
    assert "".join(pieces) == words and all(x.endswith(" ") and len(x) <= 4096 for x in pieces)
    solid = "x" * 9000
    assert [len(x) for x in split_text(solid)] == [4096, 4096, 808]


def test_split_leaves_short_text_alone() -> None:
    assert split_text("hola") == ["hola"]
    exact = "a" * 4096
    assert split_text(exact) == [exact]
    assert split_text("") == []


async def test_graph_does_not_send_a_blank_leftover_piece(fake_graph: FakeGraph) -> None:  # noqa: F811
    text = "a" * 4096 + "\n\n"
    await graph_sender(fake_graph).send_text(ANA, text)
    assert [m.text for m in fake_graph.sent] == ["a" * 4096]


async def test_graph_failure_midway_reports_the_pieces_sent(fake_graph: FakeGraph) -> None:  # noqa: F811
    fake_graph.fail_next(5, 500, after=1)
    with pytest.raises(SendError, match="piece 2 of 3") as caught:
        await graph_sender(fake_graph, retries=1).send_text(ANA, long_reply())
    assert caught.value.sent_parts == 1
    assert len(fake_graph.sent) == 1


# --- factory -----------------------------------------------------------------------------------


def test_sender_from_settings() -> None:
    assert isinstance(sender_from_settings(Settings(whatsapp_access_token="", whatsapp_phone_number_id="")), LoggingSender)
    assert isinstance(sender_from_settings(Settings(whatsapp_access_token="tok", whatsapp_phone_number_id=" ")),
                      LoggingSender)
    sender = sender_from_settings(Settings(whatsapp_access_token=" tok ", whatsapp_phone_number_id="106540352242922",
                                           whatsapp_api_url="http://graph.local/v21.0/", whatsapp_timeout_s=3,
                                           whatsapp_retries=4))
    assert isinstance(sender, GraphSender)
    assert (sender.url, sender.access_token, sender.timeout_s, sender.retries) == (
        "http://graph.local/v21.0/106540352242922/messages", "tok", 3.0, 4)


async def test_sender_from_settings_sends_through_the_configured_api(fake_graph: FakeGraph) -> None:  # noqa: F811
    settings = Settings(whatsapp_access_token=fake_graph.access_token, whatsapp_phone_number_id=p.PHONE_NUMBER_ID,
                        whatsapp_api_url=fake_graph.url, whatsapp_timeout_s=2, whatsapp_retries=0)
    await sender_from_settings(settings).send_text(ANA, "¿Algo más?")
    assert [(m.phone_number_id, m.to, m.text) for m in fake_graph.sent] == [(p.PHONE_NUMBER_ID, ANA, "¿Algo más?")]
