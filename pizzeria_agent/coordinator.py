"""The pizzeria's coordinator: the phase state machine's decision step on the shared coordinator skeleton.

Per turn it reads typed state, classifies the message by rules (asking the model
only when rules cannot tell), and follows `flow.plan_turn`: a fixed reply with no
model call, or at most two specialists (one and the one its result leads to, e.g.
address -> finalization). Reading the message, holding text back and relaying a
specialist's answer are `tools.llm.coordinator`'s.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from google.adk.events import Event

from pizzeria_agent.flow import after_specialist, plan_turn
from pizzeria_agent.prompts import CLASSIFIER
from pizzeria_agent.routing import Route, classify
from tools.llm.classify import classify_with_model
from tools.llm.coordinator import Coordinator, Turn
from tools.pizzeria import replies
from tools.pizzeria.state import Phase, PizzeriaState, initial_state

MAX_SPECIALISTS_PER_TURN = 2
_MODEL_ROUTES = {"menu": Route.MENU, "pedido": Route.ORDER, "listo": Route.DONE, "otro": Route.MENU}


class PizzeriaCoordinator(Coordinator):
    state_type = PizzeriaState

    async def run_turn(self, turn: Turn) -> AsyncGenerator[Event, None]:
        ctx, text = turn.ctx, turn.message.text
        if "conversation_phase" not in ctx.session.state:
            yield turn.record(initial_state(ctx.session.user_id))
        if turn.message.blank:
            yield turn.say(replies.empty_message())
            return
        state = PizzeriaState.of(ctx.session.state)
        route = await self._route(state, text)
        step = plan_turn(state, text, route)
        for _ in range(MAX_SPECIALISTS_PER_TURN + 1):
            if step is None:
                break
            if step.agent is None:
                yield turn.say(step.reply, step.delta)
                break
            turn.hold(step.reply)
            if step.delta:
                yield turn.record(step.delta)
            async for event in turn.relay(step.agent):
                yield event
            step = after_specialist(PizzeriaState.of(ctx.session.state), step.agent)

    async def _route(self, state: PizzeriaState, text: str) -> Route:
        route = classify(text)
        if route == Route.UNKNOWN and state.conversation_phase == Phase.TOMANDO_PEDIDO and self.classifier:
            label = await classify_with_model(self.classifier, CLASSIFIER, text, set(_MODEL_ROUTES))
            route = _MODEL_ROUTES.get(label or "", Route.UNKNOWN)
        return route
