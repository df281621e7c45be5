"""The shop's supervisor: routing and handoff rules as the decision step of the shared coordinator skeleton.

Per turn: greetings, thanks and farewells get a short fixed reply (`small_talk`); a "sí"
to the coupon the bot just offered redeems it; otherwise route with the deterministic
router (one short JSON classification call only below its confidence threshold), decide
a handoff in code (complaint or legal intent, a request for a person, two unclear turns
in a row, three failed turns in a row), and run exactly one specialist — so there is
never more than one bounce between specialists in a turn. Where the customer's words
settle the specialist's action (an order number, "mis pedidos", a coupon code, SKUs:
`code_first`) code runs its tools with no model call; a session none of whose tools the
specialist may use is told so, also with no model call. Once handed off, the bot says so
once and then stays silent until an operator releases the conversation.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator

from google.adk.events import Event

from ecommerce_agent import code_first
from ecommerce_agent.prompts import CLASSIFIER
from ecommerce_agent.router import (
    CONFIDENCE_THRESHOLD,
    HANDOFF_INTENTS,
    INTENT_AGENT,
    IntentInfo,
    classify,
)
from ecommerce_agent.small_talk import is_yes, small_talk
from ecommerce_agent.specialists import Specialist
from ecommerce_agent.state import HISTORY, ShopState
from tools.llm.classify import classify_with_model
from tools.llm.coordinator import Coordinator, Turn
from tools.llm.handoff import RELEASE_DELTA, handoff_delta, timed_out
from tools.llm.replies import MODEL_DOWN, TOO_MANY_CALLS
from tools.observability import record_handoff, record_intent
from tools.settings import get_settings
from tools.shop import replies
from tools.shop.permissions import (
    NOT_IDENTIFIED_REFUSAL,
    UNAVAILABLE_REFUSAL,
    allowed_tools,
    role_of,
)

HANDOFF_REASONS = {
    "complex_complaint": "reclamo complejo",
    "legal_issue": "tema legal",
    "human_request": "pidió hablar con una persona",
}
UNCLEAR_REASON = "no se entendió el pedido dos veces seguidas"
FAILED_REASON = "tres respuestas fallidas seguidas"
log = logging.getLogger(__name__)

MAX_FAILED_TURNS = 3
MAX_UNCLEAR_TURNS = 2


class ShopSupervisor(Coordinator):
    state_type = ShopState

    async def run_turn(self, turn: Turn) -> AsyncGenerator[Event, None]:
        st, text = ShopState.of(turn.ctx.session.state), turn.message.text
        if st.requires_human:
            if not timed_out(st, get_settings().handoff_release_s):
                turn.silence()  # a person continues this conversation; the bot stays silent
                yield turn.record({})  # but the turn is on record (ADK's evaluators expect one per message)
                return
            yield turn.record(RELEASE_DELTA)  # nobody answered in time: the bot takes it back
            turn.hold(replies.BACK_FROM_HANDOFF)
        if turn.message.blank:
            yield turn.say(replies.EMPTY_MESSAGE)
            return
        if st.offered_coupon and is_yes(text):
            delta = _placed(st, "promotions", "rules")
            calls = [("redeem_coupon_code", {"code": st.offered_coupon})]
            async for event in self._specialist_turn(turn, st, Specialist.PROMOTIONS, delta, calls):
                yield event
            return
        if (kind := small_talk(text)) is not None:
            yield turn.say(replies.SMALL_TALK[kind], _placed(st, "general_inquiry", "rules") | ShopState.delta(offered_coupon=None))
            return
        info, routed_by = await self._route(text)
        record_intent(info.primary_intent, routed_by)
        unclear = info.confidence < CONFIDENCE_THRESHOLD
        low_confidence = st.low_confidence_count + 1 if unclear else 0
        delta = _placed(st, info.primary_intent, routed_by) | ShopState.delta(low_confidence_count=low_confidence)
        reason = HANDOFF_REASONS.get(info.primary_intent) if info.requires_handoff and not unclear else None
        if unclear and low_confidence >= MAX_UNCLEAR_TURNS:
            reason = UNCLEAR_REASON
        if reason:
            yield turn.say(handoff_reply(), delta | _handoff(st, reason, text))
            return
        agent = info.target_agent or Specialist.SUPPORT  # general questions go to the FAQ
        async for event in self._specialist_turn(turn, st, agent, delta):
            yield event

    async def _specialist_turn(self, turn: Turn, st: ShopState, agent: Specialist, delta: dict[str, object],
                               calls: list[code_first.Call] | None = None) -> AsyncGenerator[Event, None]:
        """One specialist answers: `calls` (or those the customer's words settle) run in code, else its model decides."""
        specialist = self.find_sub_agent(agent)
        try:
            role = await role_of(turn.ctx.user_id, turn.ctx.session.state)
        except Exception:
            log.exception("role lookup failed")
            yield turn.say(UNAVAILABLE_REFUSAL["message"], delta)
            yield self._close(turn, self._after(st, agent, True, turn.message.text))
            return
        if not allowed_tools(role) & {tool.name for tool in await specialist.canonical_tools()}:
            yield turn.say(NOT_IDENTIFIED_REFUSAL["message"], delta | ShopState.delta(offered_coupon=None))
            return
        yield turn.record(delta)
        calls = calls or code_first.settled(agent, turn.message.text, role)
        events = code_first.run(turn, specialist, calls) if calls else turn.relay(agent)
        failed, offered = False, None
        async for event in events:
            failed = failed or _failed(event)
            offered = _offered_coupon(event) or offered
            yield event
        failed = failed or turn.closing in (MODEL_DOWN, TOO_MANY_CALLS)
        if (rest := turn.flush()) is not None:
            yield rest
        yield self._close(turn, self._after(st, agent, failed, turn.message.text) | ShopState.delta(offered_coupon=offered))

    @staticmethod
    def _close(turn: Turn, after: dict[str, object]) -> Event:
        """The turn's last record; said with the handoff message when it hands the conversation over."""
        return turn.say(handoff_reply(), after) if after.get("requires_human") else turn.record(after)

    @staticmethod
    def _after(st: ShopState, agent: Specialist, failed: bool, text: str) -> dict[str, object]:
        """The record after a specialist's turn; three failed turns in a row hand the conversation to a person."""
        errors = st.error_count + 1 if failed else 0
        after = ShopState.delta(agent_history=[*st.agent_history, agent][-HISTORY:], error_count=errors)
        return after | _handoff(st, FAILED_REASON, text) if errors >= MAX_FAILED_TURNS else after

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


def handoff_reply() -> str:
    """The handoff sentence, with when the bot comes back if nobody answers (`HANDOFF_RELEASE_S`)."""
    release_s = get_settings().handoff_release_s
    if not release_s:
        return replies.HANDOFF
    return replies.HANDOFF + replies.handoff_wait(max(1, round(release_s / 60)))


def _placed(st: ShopState, intent: str, routed_by: str) -> dict[str, object]:
    """The record of where this turn's message was placed, and by whom ("rules" or "model")."""
    return ShopState.delta(current_intent=intent, routed_by=routed_by, requires_human=False, low_confidence_count=0,
                           intent_history=[*st.intent_history, intent][-HISTORY:])


def _failed(event: Event) -> bool:
    """A tool answered with a technical error (not a customer-side 'not found')."""
    return any((r.response or {}).get("error") == "technical" for r in event.get_function_responses())


def _offered_coupon(event: Event) -> str | None:
    """The coupon a tool offered to apply this turn ("¿Querés que lo aplique?"), if any."""
    return next((str(r.response["offer_coupon"]) for r in event.get_function_responses()
                 if (r.response or {}).get("offer_coupon")), None)


def _handoff(st: ShopState, reason: str, text: str) -> dict[str, object]:
    """The handoff record: why, a summary for the operator, and the counters that led here reset."""
    record_handoff(reason)
    summary = (
        f"Motivo: {reason}. Intenciones recientes: {', '.join(st.intent_history[-5:]) or 'ninguna'}. "
        f"Agentes: {', '.join(st.agent_history[-5:]) or 'ninguno'}. Último mensaje: «{text[:300]}»"
    )
    return handoff_delta(reason, summary) | ShopState.delta(error_count=0, low_confidence_count=0)
