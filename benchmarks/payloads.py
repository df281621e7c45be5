"""WhatsApp Cloud API webhook notifications, shaped like the examples in Meta's webhook reference.

Message builders (`text`, `image`, `button_reply`...) return one item of
`value.messages`; `inbound()` wraps items into a whole notification with the
sender's contact; `status()` / `statuses()` do the same for `value.statuses`;
`merge()` joins notifications into one post (Meta may batch several entries).
`sign()` computes the `X-Hub-Signature-256` header for a raw body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

BUSINESS_ACCOUNT_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
TIMESTAMP = "1763650800"  # 2025-11-20 15:00 UTC; WhatsApp sends Unix seconds as a string


def sign(body: bytes, secret: str) -> str:
    """The `X-Hub-Signature-256` value Meta sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def as_body(notification: dict[str, Any]) -> bytes:
    """The notification as the raw bytes of a POST (compact, non-ASCII kept as UTF-8, like Meta)."""
    return json.dumps(notification, ensure_ascii=False, separators=(",", ":")).encode()


# --- value.messages items ----------------------------------------------------------------------


def _message(wa_id: str, message_id: str, kind: str, timestamp: str, **content: Any) -> dict[str, Any]:
    return {"from": wa_id, "id": message_id, "timestamp": timestamp, "type": kind, **content}


def text(wa_id: str, message_id: str, body: str, timestamp: str = TIMESTAMP) -> dict[str, Any]:
    return _message(wa_id, message_id, "text", timestamp, text={"body": body})


def image(wa_id: str, message_id: str, caption: str | None = None, timestamp: str = TIMESTAMP) -> dict[str, Any]:
    media = {"mime_type": "image/jpeg", "sha256": "RkFLRUhBU0g=", "id": "1003383421387256"}
    if caption is not None:
        media["caption"] = caption
    return _message(wa_id, message_id, "image", timestamp, image=media)


def button_reply(wa_id: str, message_id: str, title: str, button_id: str = "btn-1",
                 replying_to: str = "wamid.OURS001", timestamp: str = TIMESTAMP) -> dict[str, Any]:
    """A tap on an interactive reply button we sent."""
    return _message(wa_id, message_id, "interactive", timestamp,
                    context={"from": DISPLAY_NUMBER, "id": replying_to},
                    interactive={"type": "button_reply", "button_reply": {"id": button_id, "title": title}})


def list_reply(wa_id: str, message_id: str, title: str, row_id: str = "row-1", description: str = "",
               replying_to: str = "wamid.OURS002", timestamp: str = TIMESTAMP) -> dict[str, Any]:
    """A row picked from an interactive list we sent."""
    return _message(wa_id, message_id, "interactive", timestamp,
                    context={"from": DISPLAY_NUMBER, "id": replying_to},
                    interactive={"type": "list_reply",
                                 "list_reply": {"id": row_id, "title": title, "description": description}})


def quick_reply(wa_id: str, message_id: str, label: str, payload: str = "QR-1",
                replying_to: str = "wamid.OURS003", timestamp: str = TIMESTAMP) -> dict[str, Any]:
    """A tap on a template's quick-reply button (type "button")."""
    return _message(wa_id, message_id, "button", timestamp,
                    context={"from": DISPLAY_NUMBER, "id": replying_to},
                    button={"payload": payload, "text": label})


def reaction(wa_id: str, message_id: str, reacted_to: str, emoji: str = "\U0001f44d",
             timestamp: str = TIMESTAMP) -> dict[str, Any]:
    return _message(wa_id, message_id, "reaction", timestamp, reaction={"message_id": reacted_to, "emoji": emoji})


def unsupported(wa_id: str, message_id: str, timestamp: str = TIMESTAMP) -> dict[str, Any]:
    """A message type the Cloud API does not support (e.g. a poll)."""
    return _message(wa_id, message_id, "unsupported", timestamp,
                    errors=[{"code": 131051, "title": "Message type unknown",
                             "message": "Message type unknown",
                             "error_data": {"details": "Message type is currently not supported."}}])


# --- value.statuses items ----------------------------------------------------------------------


def status(message_id: str, recipient_id: str, state: str, timestamp: str = TIMESTAMP) -> dict[str, Any]:
    """What happened to a message we sent: sent, delivered, read or failed."""
    item: dict[str, Any] = {"id": message_id, "status": state, "timestamp": timestamp, "recipient_id": recipient_id}
    if state == "failed":
        item["errors"] = [{"code": 131047, "title": "Re-engagement message",
                           "message": "Re-engagement message",
                           "error_data": {"details": "Message failed to send because more than 24 hours have "
                                                     "passed since the customer last replied to this number."}}]
    else:
        item["conversation"] = {"id": "CONVERSATION_ID", "origin": {"type": "service"}}
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service", "type": "regular"}
    return item


# --- whole notifications -----------------------------------------------------------------------


def notification(value: dict[str, Any]) -> dict[str, Any]:
    """One `messages` change carrying `value` (metadata added)."""
    full = {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID}, **value}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": BUSINESS_ACCOUNT_ID, "changes": [{"value": full, "field": "messages"}]}]}


def inbound(*messages: dict[str, Any], name: str = "Ana Pérez") -> dict[str, Any]:
    """A notification with these messages, each sender listed in `contacts` with profile `name`."""
    senders = dict.fromkeys(m["from"] for m in messages)
    contacts = [{"profile": {"name": name}, "wa_id": wa_id} for wa_id in senders]
    return notification({"contacts": contacts, "messages": list(messages)})


def text_message(wa_id: str, message_id: str, body: str, name: str = "Ana Pérez") -> dict[str, Any]:
    """The most common notification: one text message."""
    return inbound(text(wa_id, message_id, body), name=name)


def statuses(*items: dict[str, Any]) -> dict[str, Any]:
    return notification({"statuses": list(items)})


def merge(*notifications: dict[str, Any]) -> dict[str, Any]:
    """Several notifications as one post with several entries."""
    return {"object": "whatsapp_business_account", "entry": [e for n in notifications for e in n["entry"]]}
