"""The shop's supervisor: routing and handoff rules as the decision step of the shared coordinator skeleton.

Per turn: route with the deterministic router (one short JSON classification
call only below its confidence threshold), decide a handoff in code (complaint or
legal intent, a request for a person, two unclear turns in a row, three failed
turns in a row), otherwise run exactly one specialist — so there is never more
than one bounce between specialists in a turn. Once handed off, the bot says so
once and then stays silent until an operator releases the conversation.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from google.adk.events import Event

from ecommerce_agent.prompts import CLASSIFIER
from ecommerce_agent.router import (
    CONFIDENCE_THRESHOLD,
    HANDOFF_INTENTS,
    INTENT_AGENT,
    IntentInfo,
    classify,
)
from ecommerce_agent.specialists import Specialist
from ecommerce_agent.state import HISTORY, ShopState
from tools.llm.classify import classify_with_model
from tools.llm.coordinator import Coordinator, Turn
from tools.llm.handoff import handoff_delta
from tools.llm.replies import MODEL_DOWN, TOO_MANY_CALLS
from tools.observability import record_handoff, record_intent
from tools.shop import replies
from tools.text import normalize

HANDOFF_REASONS = {
    "complex_complaint": "reclamo complejo",
    "legal_issue": "tema legal",
    "human_request": "pidió hablar con una persona",
}
UNCLEAR_REASON = "no se entendió el pedido dos veces seguidas"
FAILED_REASON = "tres respuestas fallidas seguidas"
MAX_FAILED_TURNS = 3
MAX_UNCLEAR_TURNS = 2
_GREETINGS = {"hola", "buenas", "buen dia", "buenos dias", "buenas tardes", "buenas noches", "holis", "hey", "que tal"}


class ShopSupervisor(Coordinator):
    state_type = ShopState

    async def run_turn(self, turn: Turn) -> AsyncGenerator[Event, None]:
        st, text = ShopState.of(turn.ctx.session.state), turn.message.text
        if st.requires_human:
            turn.silence()  # a person continues this conversation; the bot stays silent
            return
        if turn.message.blank:
            yield turn.say(replies.EMPTY_MESSAGE)
            return
        info, routed_by = await self._route(text)
        record_intent(info.primary_intent, routed_by)
        unclear = info.confidence < CONFIDENCE_THRESHOLD
        low_confidence = st.low_confidence_count + 1 if unclear else 0
        delta = ShopState.delta(
            current_intent=info.primary_intent,
            routed_by=routed_by,
            intent_history=[*st.intent_history, info.primary_intent][-HISTORY:],
            low_confidence_count=low_confidence,
            requires_human=False,
        )
        reason = HANDOFF_REASONS.get(info.primary_intent) if info.requires_handoff and not unclear else None
        if unclear and low_confidence >= MAX_UNCLEAR_TURNS:
            reason = UNCLEAR_REASON
        if reason:
            yield turn.say(replies.HANDOFF, delta | _handoff(st, reason, text))
            return
        if info.primary_intent == "general_inquiry" and _is_greeting(text):
            yield turn.say(replies.GREETING, delta)
            return

        agent = info.target_agent or Specialist.SUPPORT  # general questions go to the FAQ
        yield turn.record(delta)
        failed = False
        async for event in turn.relay(agent):
            failed = failed or _failed(event)
            yield event
        failed = failed or turn.closing in (MODEL_DOWN, TOO_MANY_CALLS)
        if (rest := turn.flush()) is not None:
            yield rest
        errors = st.error_count + 1 if failed else 0
        after = ShopState.delta(agent_history=[*st.agent_history, agent][-HISTORY:], error_count=errors)
        if errors >= MAX_FAILED_TURNS:
            yield turn.say(replies.HANDOFF, after | _handoff(st, FAILED_REASON, text))
        else:
            yield turn.record(after)

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


def _is_greeting(text: str) -> bool:
    words = normalize(text).split()
    return len(words) <= 4 and any(" ".join(words[i:i + 2]) in _GREETINGS or words[i] in _GREETINGS for i in range(len(words)))


def _failed(event: Event) -> bool:
    """A tool answered with a technical error (not a customer-side 'not found')."""
    return any((r.response or {}).get("error") == "technical" for r in event.get_function_responses())


def _handoff(st: ShopState, reason: str, text: str) -> dict[str, object]:
    """The handoff record: why, a summary for the operator, and the counters that led here reset."""
    record_handoff(reason)
    summary = (
        f"Motivo: {reason}. Intenciones recientes: {', '.join(st.intent_history[-5:]) or 'ninguna'}. "
        f"Agentes: {', '.join(st.agent_history[-5:]) or 'ninguno'}. Último mensaje: «{text[:300]}»"
    )
    return handoff_delta(reason, summary) | ShopState.delta(error_count=0, low_confidence_count=0)
