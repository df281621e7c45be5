"""The WhatsApp Cloud API webhook: Meta's handshake and signed deliveries, answered after the 200."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse

from gateway import whatsapp
from gateway.inbox import Received
from gateway.routes.deps import Service, agent_name, json_body
from gateway.turns import Conversation
from tools.llm.replies import NON_TEXT

log = logging.getLogger(__name__)


def routes(service: Service) -> APIRouter:
    router = APIRouter()
    settings, turns = service.settings, service.turns

    @router.get("/webhooks/whatsapp/{agent}")
    async def verify(agent: str, request: Request) -> Response:
        agent_name(agent)
        q = request.query_params
        challenge = whatsapp.verify_handshake(q.get("hub.mode"), q.get("hub.verify_token"), q.get("hub.challenge"),
                                              settings.whatsapp_verify_token)
        if challenge is None:
            raise HTTPException(403, detail="verification failed")
        return PlainTextResponse(challenge)

    @router.post("/webhooks/whatsapp/{agent}")
    async def deliver(agent: str, request: Request) -> dict[str, Any]:
        agent = agent_name(agent)
        raw = await request.body()
        check = whatsapp.check_signature(raw, request.headers.get("x-hub-signature-256"), settings.whatsapp_app_secret)
        if check == "missing":
            raise HTTPException(401, detail="missing signature")
        if check != "ok":
            raise HTTPException(403, detail="bad signature")
        try:
            payload = json_body(raw)
        except ValueError:
            raise HTTPException(400, detail="body is not JSON") from None
        batch = whatsapp.parse_webhook(payload if isinstance(payload, dict) else {})
        if batch.ignored:
            log.warning("WhatsApp delivery: %d unreadable part(s) skipped", batch.ignored)
        queued: set[str] = set()  # conversations to drain
        unrecorded = 0
        for message in batch.messages:  # each on its own: one that cannot be recorded never holds back the others
            convo = Conversation(agent, "whatsapp", message.wa_id)
            if message.kind == "reaction":  # a 👍 on our reply needs no answer
                continue
            try:
                if message.text is None:  # image, audio, sticker...: ask for text, once per message
                    received = await turns.inbox.submit(convo, message.message_id, f"[{message.kind}]", done_reply=NON_TEXT)
                    if received is Received.NEW:
                        service.spawn(turns.deliver(convo, NON_TEXT))
                elif await turns.inbox.submit(convo, message.message_id, message.text) in (Received.NEW, Received.PENDING):
                    queued.add(turns.inbox.conversation_of(convo))  # a redelivered, unanswered message is drained again
            except Exception:
                unrecorded += 1
                log.exception("could not record a WhatsApp message")
        for key in queued:  # answered after the 200, which Meta wants fast
            service.spawn(_drain(service, key))
        if unrecorded:  # Meta redelivers the whole notification; the recorded ones are duplicates then
            raise HTTPException(503, detail="some messages could not be recorded; deliver again")
        return {"status": "ok", "messages": len(batch.messages), "statuses": len(batch.statuses)}

    return router


async def _drain(service: Service, conversation: str) -> None:
    try:
        await service.turns.inbox.drain(conversation, service.turns)
    except Exception:
        log.exception("could not process the WhatsApp messages of a conversation; the recovery loop retries")
