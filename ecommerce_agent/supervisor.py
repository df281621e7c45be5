"""The shop supervisor: a `BaseAgent` that classifies, applies handoff rules and delegates.

Per turn: route with the deterministic router (one short JSON classification
call only below its confidence threshold), decide a handoff in code (complaint or
legal intent, a request for a person, two unclear turns in a row, three failed
turns in a row), otherwise run exactly one specialist — so there is never more
than one bounce between specialists in a turn. Once handed off, the bot says so
once and then stays silent until an operator releases the conversation.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import BaseAgent
from google.adk.agents.invocation_context import InvocationContext
from google.adk.events import Event
from google.adk.models.base_llm import BaseLlm
from pydantic import ConfigDict

from ecommerce_agent.prompts import CLASSIFIER
from ecommerce_agent.router import (
    CONFIDENCE_THRESHOLD,
    HANDOFF_INTENTS,
    INTENT_AGENT,
    IntentInfo,
    classify,
)
from ecommerce_agent.state import HISTORY, ShopState
from tools.llm.classify import classify_with_model
from tools.llm.events import closing_text, coordinator_event, text_content, user_text
from tools.llm.guards import MODEL_DOWN, TOO_MANY_CALLS
from tools.observability import record_handoff, record_intent
from tools.settings import get_settings
from tools.text import is_blank, normalize

HANDOFF_REPLY = "Te paso con una persona del equipo, que va a seguir esta conversación por acá. ¡Gracias por la paciencia!"
GREETING_REPLY = "¡Hola! Soy el asistente de la tienda. Puedo ayudarte con productos, promociones, tu pedido, facturas o soporte técnico. ¿Qué necesitás?"
EMPTY_REPLY = "No me llegó ningún texto. ¿En qué te puedo ayudar?"
TRUNCATED_NOTICE = "(Tu mensaje era muy largo: leí solo los primeros {limit} caracteres.)"
HANDOFF_REASONS = {
    "complex_complaint": "reclamo complejo",
    "legal_issue": "tema legal",
    "human_request": "pidió hablar con una persona",
}
MAX_FAILED_TURNS = 3
MAX_UNCLEAR_TURNS = 2
_GREETINGS = {"hola", "buenas", "buen dia", "buenos dias", "buenas tardes", "buenas noches", "holis", "hey", "que tal"}


class ShopSupervisor(BaseAgent):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    classifier: BaseLlm | None = None
    """Model asked to classify a message the router is unsure of (None: never ask)."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        st = ShopState.of(ctx.session.state)
        if st.requires_human:
            return  # a person continues this conversation; the bot stays silent
        full, limit = user_text(ctx.user_content), get_settings().max_message_chars
        text = full[:limit]
        # Said before the answer, so the customer knows the end of the message was not read.
        notice = TRUNCATED_NOTICE.format(limit=limit) if len(full) > limit else None
        if is_blank(text):
            yield self._event(ctx, text=EMPTY_REPLY)
            return
        info, routed_by = await self._route(text)
        record_intent(info.primary_intent, routed_by)
        unclear = info.confidence < CONFIDENCE_THRESHOLD
        delta: dict[str, Any] = {
            "current_intent": info.primary_intent,
            "routed_by": routed_by,
            "intent_history": [*st.intent_history, info.primary_intent][-HISTORY:],
            "low_confidence_count": st.low_confidence_count + 1 if unclear else 0,
            "requires_human": False,
        }
        reason = HANDOFF_REASONS.get(info.primary_intent) if info.requires_handoff and not unclear else None
        if unclear and delta["low_confidence_count"] >= MAX_UNCLEAR_TURNS:
            reason = "no se entendió el pedido dos veces seguidas"
        if reason:
            record_handoff(reason)
            yield self._event(ctx, text=_join(notice, HANDOFF_REPLY), delta=delta | _handoff(st, reason, text))
            return
        if info.primary_intent == "general_inquiry" and _is_greeting(text):
            yield self._event(ctx, text=_join(notice, GREETING_REPLY), delta=delta)
            return

        agent = info.target_agent or "support_agent"  # general questions go to the FAQ
        yield self._event(ctx, delta=delta)
        failed = False
        async for event in self.find_sub_agent(agent).run_async(ctx):
            failed = failed or _failed(event)
            closing = closing_text(event) if event.is_final_response() else None
            if closing and event.get_function_responses():
                yield event
                event = self._event(ctx, text=_join(notice, closing))
            elif closing:
                if notice:
                    event = event.model_copy(update={"content": text_content(_join(notice, closing))})
                event.actions.state_delta["last_reply"] = closing[:300]
            if closing:
                notice = None
            if closing in (MODEL_DOWN, TOO_MANY_CALLS):
                failed = True
            yield event
        if notice:
            yield self._event(ctx, text=notice)
        errors = st.error_count + 1 if failed else 0
        after: dict[str, Any] = {"agent_history": [*st.agent_history, agent][-HISTORY:], "error_count": errors}
        if errors >= MAX_FAILED_TURNS:
            record_handoff("tres respuestas fallidas seguidas")
            yield self._event(ctx, text=HANDOFF_REPLY, delta=after | _handoff(st, "tres respuestas fallidas seguidas", text))
        else:
            yield self._event(ctx, delta=after)

    async def _route(self, text: str) -> tuple[IntentInfo, str]:
        """The message's intent, and who decided it: "rules" (no model call) or "model"."""
        info = classify(text)
        if info.confidence >= CONFIDENCE_THRESHOLD or self.classifier is None:
            return info, "rules"
        label = await classify_with_model(self.classifier, CLASSIFIER, text, set(INTENT_AGENT))
        if label is None:
            return info, "model"
        return info.model_copy(update={
            "primary_intent": label,
            "confidence": CONFIDENCE_THRESHOLD,  # the model placed it: not unclear any more
            "target_agent": INTENT_AGENT[label],
            "requires_handoff": label in HANDOFF_INTENTS,
        }), "model"

    def _event(self, ctx: InvocationContext, text: str | None = None, delta: dict[str, Any] | None = None) -> Event:
        return coordinator_event(ctx, self.name, text, delta)


def _join(*texts: str | None) -> str:
    return "\n".join(t for t in texts if t)


def _is_greeting(text: str) -> bool:
    words = normalize(text).split()
    return len(words) <= 4 and any(" ".join(words[i:i + 2]) in _GREETINGS or words[i] in _GREETINGS for i in range(len(words)))


def _failed(event: Event) -> bool:
    """A tool answered with a technical error (not a customer-side 'not found')."""
    return any((r.response or {}).get("error") == "technical" for r in event.get_function_responses())


def _handoff(st: ShopState, reason: str, text: str) -> dict[str, Any]:
    summary = (
        f"Motivo: {reason}. Intenciones recientes: {', '.join(st.intent_history[-5:]) or 'ninguna'}. "
        f"Agentes: {', '.join(st.agent_history[-5:]) or 'ninguno'}. Último mensaje: «{text[:300]}»"
    )
    return {"requires_human": True, "handoff_reason": reason, "handoff_summary": summary, "handoff_notified": True}


RELEASE_DELTA: dict[str, Any] = {
    "requires_human": False,
    "handoff_reason": None,
    "handoff_notified": False,
    "error_count": 0,
    "low_confidence_count": 0,
}
"""State an operator's release writes (the summary stays for the record)."""
