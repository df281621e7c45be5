"""WhatsApp Cloud API building blocks: webhook handshake and signature, notification parsing, replies.

Framework-free on purpose: the gateway routes call these functions and map the
results to HTTP answers (handshake -> challenge or 403; signature -> 401/403;
a well-signed post always gets 200, whatever `parse_webhook` makes of it).

Replies go through a `Sender`: `GraphSender` posts to the Graph API, `LoggingSender`
only logs (development, no access token). Phone numbers are never logged whole:
use `mask_phone`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from enum import StrEnum
from typing import Any, Literal, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.observability.redact import pseudonym
from tools.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4096
"""WhatsApp's limit for a text message body; longer replies are split (`split_text`)."""

def mask_phone(number: str) -> str:
    """A phone number fit for logs and errors: its keyed pseudonym, no digit of it (`tools.observability.redact`)."""
    return pseudonym(number.strip())


# --- Webhook verification ---------------------------------------------------------------------


def verify_handshake(mode: str | None, token: str | None, challenge: str | None, verify_token: str) -> str | None:
    """The GET subscription handshake: the `hub.challenge` to echo back, or None (answer 403).

    Meta sends `hub.mode=subscribe`, the `hub.verify_token` configured in the app
    dashboard and a `hub.challenge`. An empty configured token never verifies.
    """
    if mode != "subscribe" or not verify_token or token is None or not challenge:
        return None
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return challenge


class SignatureCheck(StrEnum):
    OK = "ok"
    MISSING = "missing"  # no X-Hub-Signature-256 header: answer 401
    BAD = "bad"  # wrong or malformed signature, or no app secret configured: answer 403


_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")


def check_signature(raw_body: bytes, header: str | None, app_secret: str) -> SignatureCheck:
    """Checks `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body keyed with the app secret.

    The body must be the bytes as received (before any JSON parsing). With an
    empty app secret nothing is ever "ok".
    """
    if header is None or not header.strip():
        return SignatureCheck.MISSING
    match = _SIGNATURE.fullmatch(header.strip())
    if not app_secret or match is None:
        return SignatureCheck.BAD
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return SignatureCheck.OK if hmac.compare_digest(expected, match.group(1).lower()) else SignatureCheck.BAD


# --- Notification parsing ---------------------------------------------------------------------


class InboundMessage(BaseModel):
    """A customer's message. `text` is set for text messages and for taps on buttons or list rows."""

    message_id: str  # "wamid...." : the key for deduplication (Meta redelivers)
    wa_id: str  # the customer's WhatsApp id (phone number, digits only): reply `to` it
    timestamp: int  # Unix seconds, as sent by WhatsApp
    kind: str  # WhatsApp's message type: text, image, audio, interactive, button, reaction, unsupported...
    text: str | None = None
    name: str | None = None  # the customer's WhatsApp profile name, when sent
    phone_number_id: str | None = None  # our business number the message was sent to


class StatusUpdate(BaseModel):
    """What happened to a message we sent."""

    message_id: str
    status: Literal["sent", "delivered", "read", "failed"]
    recipient_id: str
    timestamp: int
    error: str | None = None  # "131047 Re-engagement message" for failed ones, when given


class WebhookBatch(BaseModel):
    messages: list[InboundMessage] = Field(default_factory=list)
    statuses: list[StatusUpdate] = Field(default_factory=list)
    ignored: int = 0  # parts of the notification that could not be read (for logs)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Titled(_Lenient):
    title: str | None = None


class _Interactive(_Lenient):
    button_reply: _Titled | None = None
    list_reply: _Titled | None = None


class _Button(_Lenient):  # a template's quick-reply button
    text: str | None = None


class _Body(_Lenient):
    body: str | None = None


class _Message(_Lenient):
    id: str = Field(pattern=r"^[\x21-\x7e]{1,200}$")  # printable ASCII, as Meta's "wamid...." ids are
    from_: str = Field(alias="from", pattern=r"^[0-9]{1,32}$")  # a WhatsApp id: the phone number's digits
    timestamp: int
    type: str = Field(min_length=1)
    text: _Body | None = None
    interactive: _Interactive | None = None
    button: _Button | None = None

    def customer_text(self) -> str | None:
        if self.type == "text" and self.text:
            return self.text.body
        if self.type == "button" and self.button:
            return self.button.text
        if self.type == "interactive" and self.interactive:
            reply = self.interactive.button_reply or self.interactive.list_reply
            return reply.title if reply else None
        return None


class _Error(_Lenient):
    code: int | None = None
    title: str | None = None


class _Status(_Lenient):
    id: str = Field(min_length=1)
    status: Literal["sent", "delivered", "read", "failed"]
    recipient_id: str = Field(min_length=1)
    timestamp: int
    errors: list[_Error] = Field(default_factory=list)


def _items(value: dict[str, Any], key: str) -> list[Any]:
    items = value.get(key)
    return items if isinstance(items, list) else []


def _names(value: dict[str, Any]) -> dict[str, str]:
    """wa_id -> profile name, from `value.contacts`."""
    names: dict[str, str] = {}
    for contact in _items(value, "contacts"):
        if isinstance(contact, dict) and isinstance(contact.get("wa_id"), str):
            profile = contact.get("profile")
            name = profile.get("name") if isinstance(profile, dict) else None
            if isinstance(name, str):
                names[contact["wa_id"]] = name
    return names


def _read_value(value: dict[str, Any], batch: WebhookBatch) -> None:
    metadata = value.get("metadata")
    phone_number_id = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    names = _names(value)
    for raw in _items(value, "messages"):
        try:
            message = _Message.model_validate(raw)
        except ValidationError:
            batch.ignored += 1
            continue
        batch.messages.append(InboundMessage(
            message_id=message.id, wa_id=message.from_, timestamp=message.timestamp, kind=message.type,
            text=message.customer_text(), name=names.get(message.from_),
            phone_number_id=phone_number_id if isinstance(phone_number_id, str) else None,
        ))
    for raw in _items(value, "statuses"):
        try:
            status = _Status.model_validate(raw)
        except ValidationError:
            batch.ignored += 1
            continue
        errors = [" ".join(str(p) for p in (e.code, e.title) if p is not None) for e in status.errors]
        batch.statuses.append(StatusUpdate(
            message_id=status.id, status=status.status, recipient_id=status.recipient_id,
            timestamp=status.timestamp, error="; ".join(e for e in errors if e) or None,
        ))


def parse_webhook(payload: Any) -> WebhookBatch:
    """The messages and statuses of a Cloud API notification (`entry[].changes[].value`).

    Never raises: unknown fields are skipped, and anything unreadable (not a
    `whatsapp_business_account` notification, a change without a value, a message
    without id/from/timestamp/type, an unknown status) is counted in `ignored`
    instead, because Meta must get a 200 for every well-signed post.
    """
    batch = WebhookBatch()
    entries = payload.get("entry") if isinstance(payload, dict) else None
    if not isinstance(entries, list) or payload.get("object") != "whatsapp_business_account":
        batch.ignored = 1
        return batch
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict):
                _read_value(value, batch)
            else:
                batch.ignored += 1
    return batch


# --- Sending replies --------------------------------------------------------------------------


class Sender(Protocol):
    async def send_text(self, to: str, text: str) -> None:
        """Sends `text` to the WhatsApp id `to` (several messages if it is too long)."""
        ...


class SendError(RuntimeError):
    """A reply could not be sent (message for logs; never contains the whole number or the text)."""

    def __init__(self, message: str, sent_parts: int = 0) -> None:
        super().__init__(message)
        self.sent_parts = sent_parts  # pieces of a split reply that did go out before the failure


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """`text` in pieces of at most `limit` characters that join back to exactly `text`.

    Each cut is at the last paragraph break inside the limit, else the last sentence
    end, else the last space, else a hard cut; a boundary in the first half of the
    window is passed over for the next kind, so pieces are not needlessly short.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = 0
        for boundary in (r"\n\s*\n", r"[.!?…]\s", r"\s"):
            ends = [m.end() for m in re.finditer(boundary, window)]
            if ends and ends[-1] > limit // 2:
                cut = ends[-1]
                break
        cut = cut or limit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return pieces


class LoggingSender:
    """Development sender: logs that a reply would go out (masked number, length; the text only at DEBUG)."""

    async def send_text(self, to: str, text: str) -> None:
        log.info("WhatsApp reply not sent (no access token) to=%s: %d chars", mask_phone(to), len(text))
        log.debug("WhatsApp reply to=%s", mask_phone(to), extra={"text": text})  # text kept only with LOG_CONTENT


class GraphSender:
    """Sends text messages through the Graph API: `POST {api_url}/{phone_number_id}/messages`.

    Connection errors, timeouts (`timeout_s` per request), 5xx and 429 are retried
    `retries` times with exponential backoff (`backoff_s`, doubled each time); other
    4xx are not (the request itself is wrong). Texts over 4096 characters go as
    several messages, in order. Note: a retry after a read timeout or a 5xx may
    deliver the same piece twice, since the Graph API has no idempotency key.
    A given `client` is used as is (and not closed); else one is made per call.
    """

    def __init__(self, api_url: str, phone_number_id: str, access_token: str, timeout_s: float = 10,
                 retries: int = 2, client: httpx.AsyncClient | None = None, *, backoff_s: float = 0.5) -> None:
        self.url = f"{api_url.rstrip('/')}/{phone_number_id}/messages"
        self.access_token = access_token
        self.timeout_s = timeout_s
        self.retries = max(0, retries)
        self.client = client
        self.backoff_s = backoff_s

    async def send_text(self, to: str, text: str) -> None:
        """Raises ValueError for a blank text and `SendError` when a piece cannot be sent."""
        if not text.strip():
            raise ValueError("refusing to send an empty WhatsApp message")
        pieces = [piece for piece in split_text(text) if piece.strip()]  # the API refuses blank bodies
        if self.client is not None:
            await self._send_all(self.client, to, pieces)
            return
        async with httpx.AsyncClient() as client:
            await self._send_all(client, to, pieces)

    async def _send_all(self, client: httpx.AsyncClient, to: str, pieces: list[str]) -> None:
        for sent, piece in enumerate(pieces):
            try:
                await self._post(client, to, piece)
            except SendError as exc:
                if len(pieces) == 1:
                    raise
                raise SendError(f"{exc} (piece {sent + 1} of {len(pieces)})", sent_parts=sent) from exc

    async def _post(self, client: httpx.AsyncClient, to: str, body: str) -> None:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                   "type": "text", "text": {"preview_url": False, "body": body}}
        headers = {"Authorization": f"Bearer {self.access_token}"}
        last_problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                response = await client.post(self.url, json=payload, headers=headers,
                                             timeout=httpx.Timeout(self.timeout_s))
            except httpx.TransportError as exc:  # connect/read timeouts, refused, reset...
                last_problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                if response.is_success:
                    return
                last_problem = f"HTTP {response.status_code} {_graph_error(response)}".rstrip()
                if response.status_code != 429 and response.status_code < 500:
                    raise SendError(f"Graph API refused the message to {mask_phone(to)}: {last_problem}")
            log.warning("Graph API attempt %d to %s failed: %s", attempt + 1, mask_phone(to), last_problem)
        raise SendError(f"Graph API unavailable after {self.retries + 1} attempts ({last_problem}) "
                        f"for {mask_phone(to)}")


def _graph_error(response: httpx.Response) -> str:
    """"(#131030) Recipient phone number not in allowed list" from a Graph error body, or ""."""
    try:
        error = response.json()["error"]
        code, message = error.get("code"), str(error.get("message") or "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""
    return message if code is None or message.startswith(f"(#{code})") else f"(#{code}) {message}".strip()


def sender_from_settings(settings: Settings | None = None) -> Sender:
    """`GraphSender` when `WHATSAPP_ACCESS_TOKEN` and `WHATSAPP_PHONE_NUMBER_ID` are set, else `LoggingSender`."""
    settings = settings or get_settings()
    token, number_id = settings.whatsapp_access_token.strip(), settings.whatsapp_phone_number_id.strip()
    if not token or not number_id:
        return LoggingSender()
    return GraphSender(settings.whatsapp_api_url, number_id, token,
                       timeout_s=settings.whatsapp_timeout_s, retries=settings.whatsapp_retries)
