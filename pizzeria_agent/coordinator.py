"""The coordinator: a `BaseAgent` that runs the phase state machine and delegates.

Per turn it reads typed state, classifies the message by rules (asking the model
only when rules cannot tell), records the decided transition as an event
`state_delta`, and runs at most two specialists (a specialist and the one its
result leads to, e.g. address -> finalization). Fixed replies and tool messages
that end a turn are sent as the coordinator's own text, without a model call.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import BaseAgent
from google.adk.agents.invocation_context import InvocationContext
from google.adk.events import Event
from google.adk.models.base_llm import BaseLlm
from pydantic import ConfigDict

from pizzeria_agent import replies
from pizzeria_agent.flow import Step, after_specialist, plan_turn
from pizzeria_agent.prompts import CLASSIFIER
from pizzeria_agent.routing import Route, classify
from tools.llm.classify import classify_with_model
from tools.llm.events import closing_text, coordinator_event, text_content, user_text
from tools.pizzeria.state import Phase, PizzeriaState, initial_state
from tools.settings import get_settings
from tools.text import clean_text, is_blank

MAX_SPECIALISTS_PER_TURN = 2
_MODEL_ROUTES = {"menu": Route.MENU, "pedido": Route.ORDER, "listo": Route.DONE, "otro": Route.MENU}


class PizzeriaCoordinator(BaseAgent):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    classifier: BaseLlm | None = None
    """Model asked to classify a message the rules cannot place (None: never ask)."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        text = clean_text(user_text(ctx.user_content))
        if "conversation_phase" not in ctx.session.state:
            yield self._event(ctx, delta=initial_state(ctx.session.user_id))
        if is_blank(text):
            yield self._event(ctx, text=replies.empty_message())
            return
        # Text said before a specialist runs is held back and prepended to the
        # specialist's answer: a coordinator message in between would become the
        # start of the specialist's turn and hide the customer's words from it.
        held: list[str] = []
        limit = get_settings().max_message_chars
        if len(text) > limit:
            held.append(replies.truncated(limit))
            text = text[:limit]

        state = PizzeriaState.of(ctx.session.state)
        route = classify(text)
        if route == Route.UNKNOWN and state.conversation_phase == Phase.TOMANDO_PEDIDO and self.classifier:
            label = await classify_with_model(self.classifier, CLASSIFIER, text, set(_MODEL_ROUTES))
            route = _MODEL_ROUTES.get(label or "", Route.UNKNOWN)

        step: Step | None = plan_turn(state, text, route)
        for _ in range(MAX_SPECIALISTS_PER_TURN + 1):
            if step is None:
                break
            if step.reply:
                held.append(step.reply)
            if step.agent is None:
                yield self._event(ctx, text=_join(held), delta=step.delta)
                held = []
                break
            if step.delta:
                yield self._event(ctx, delta=step.delta)
            async for event in self.find_sub_agent(step.agent).run_async(ctx):
                closing = closing_text(event) if event.is_final_response() else None
                if closing and event.get_function_responses():
                    yield event  # the tool result stays in history; its message is said next
                    event = self._event(ctx, text=_join([*held, closing]))
                elif closing:
                    event = event.model_copy(update={"content": text_content(_join([*held, closing]))})
                    event.actions.state_delta["last_reply"] = _join([*held, closing])[:300]
                if closing:
                    held = []
                yield event
            step = after_specialist(PizzeriaState.of(ctx.session.state), step.agent)
        if held:
            yield self._event(ctx, text=_join(held))

    def _event(self, ctx: InvocationContext, text: str | None = None, delta: dict[str, Any] | None = None) -> Event:
        return coordinator_event(ctx, self.name, text, delta)


def _join(texts: list[str]) -> str:
    return "\n".join(t for t in texts if t)
