"""The WhatsApp Cloud API webhook: Meta's handshake and signed deliveries, answered after the 200."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse

from gateway import whatsapp
from gateway.inbox import Pending
from gateway.routes.deps import Service, agent_name, json_body
from gateway.turns import Conversation
from tools.llm.replies import NON_TEXT
from tools.observability import conversation

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
        queued: dict[str, Conversation] = {}
        for message in batch.messages:
            convo = Conversation(agent, "whatsapp", message.wa_id)
            if message.kind == "reaction":  # a 👍 on our reply needs no answer
                continue
            if message.text is None:  # image, audio, sticker...: ask for text, once per delivery
                if await turns.inbox.submit(convo.key, message.message_id, f"[{message.kind}]", done_reply=NON_TEXT):
                    service.spawn(service.send_whatsapp(message.wa_id, NON_TEXT))
            elif await turns.inbox.submit(convo.key, message.message_id, message.text):
                queued[convo.key] = convo
        for convo in queued.values():  # answered after the 200, which Meta wants fast
            service.spawn(_drain_and_send(service, convo))
        return {"status": "ok", "messages": len(batch.messages), "statuses": len(batch.statuses)}

    return router


async def _drain_and_send(service: Service, convo: Conversation) -> None:
    async def handle(pending: Pending) -> str:
        with conversation(convo.agent, convo.session_id, convo.user_id):
            reply = await service.turns.run(convo, pending)
        if reply:  # empty while a person has the conversation
            await service.send_whatsapp(convo.user_id, reply)
        return reply

    try:
        await service.turns.inbox.drain(convo.key, handle)
    except Exception:
        log.exception("could not process WhatsApp messages of conversation %s", convo.session_id)
