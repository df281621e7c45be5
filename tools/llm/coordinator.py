"""The skeleton both agents' coordinators share: read the message, then say a fixed reply or relay a specialist.

A coordinator is a `BaseAgent` whose subclass writes only its decision step
(`run_turn`): from typed state and the customer's message it either says a fixed
reply (`turn.say`) or runs one of its specialists (`turn.relay`). The base does the
rest the same way for both agents:

- reads the message once (`tools.llm.message`): cleaned, cut to size, with the notice;
- holds back what the coordinator says before a specialist runs and puts it in front
  of the specialist's answer, because a coordinator message in between would become
  the start of the specialist's turn and hide the customer's words from it;
- says a tool's `message` itself when the tool ended the turn (no second model call);
- speaks with one voice: every text the customer reads is authored by the coordinator
  (a specialist's text answer is relabeled; its function calls and responses keep the
  specialist as author, which is what ADK routes a pending call's answer by);
- remembers what the customer read as `last_reply`, the context of the next turn.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, ClassVar

from google.adk.agents import BaseAgent
from google.adk.agents.invocation_context import InvocationContext
from google.adk.events import Event, EventActions
from google.adk.models.base_llm import BaseLlm
from google.genai import types
from pydantic import ConfigDict

from tools.llm.message import CustomerMessage, content_text, read_message
from tools.llm.state import SessionState

LAST_REPLY_CHARS = 300


def text_content(text: str) -> types.Content:
    return types.Content(role="model", parts=[types.Part(text=text)])


def closing_text(event: Event) -> str | None:
    """The text a specialist's final event leaves the customer with.

    A model answer is its text; a tool result that ended the turn
    (`skip_summarization`) is said through the tools' `message` fields and the
    last `followup` (e.g. the order total after several parallel additions).
    """
    if event.get_function_responses():
        if not event.actions.skip_summarization:
            return None
        results = [r.response or {} for r in event.get_function_responses()]
        messages = [str(r.get("message", "")) for r in results]
        followups = [str(r["followup"]) for r in results if r.get("followup")]
        text = " ".join(dict.fromkeys(m for m in messages if m))
        return (f"{text} {followups[-1]}" if followups else text).strip() or None
    if event.content and event.content.parts:
        return "".join(p.text or "" for p in event.content.parts if not p.thought).strip() or None
    return None


class Turn:
    """One customer turn of a coordinator: the message, and what is held back to say first."""

    def __init__(self, coordinator: Coordinator, ctx: InvocationContext, message: CustomerMessage) -> None:
        self.coordinator, self.ctx, self.message = coordinator, ctx, message
        self.held: list[str] = [message.notice] if message.notice else []
        self.closing: str | None = None  # the last specialist's closing text, as it came

    def hold(self, text: str | None) -> None:
        """Say `text` in front of whatever is said next."""
        if text:
            self.held.append(text)

    def record(self, delta: dict[str, Any]) -> Event:
        """An event that only records a state delta (built with the state's `delta`)."""
        return self._event(None, delta)

    def say(self, text: str | None = None, delta: dict[str, Any] | None = None) -> Event:
        """The coordinator's own reply (held text first) and/or a state delta."""
        said = self._take(text)
        return self._event(said, delta)

    async def relay(self, specialist: str) -> AsyncGenerator[Event, None]:
        """Run `specialist` on this turn, its closing text said with the held text in front."""
        self.closing = None
        async for event in self.coordinator.find_sub_agent(specialist).run_async(self.ctx):
            closing = closing_text(event) if event.is_final_response() else None
            if closing and event.get_function_responses():
                yield event  # the tool result stays in history; its message is said next, by us
                event = self.say(closing)
            elif closing:  # a text answer: said in the coordinator's voice (one speaker per agent)
                said = self._take(closing)
                event = event.model_copy(update={"content": text_content(said), "author": self.coordinator.name})
                event.actions.state_delta.update(self._last_reply(said))
            if closing:
                self.closing = closing
            yield event

    def silence(self) -> None:
        """Nothing is said this turn, not even what was held (a person has the conversation)."""
        self.held = []

    def flush(self) -> Event | None:
        """What is still held at the end of the turn, said on its own."""
        return self.say() if self.held else None

    def _take(self, text: str | None) -> str | None:
        said = "\n".join(t for t in [*self.held, text] if t) or None
        self.held = []
        return said

    def _last_reply(self, text: str) -> dict[str, Any]:
        return self.coordinator.state_type.delta(last_reply=text[:LAST_REPLY_CHARS])

    def _event(self, text: str | None, delta: dict[str, Any] | None) -> Event:
        delta = dict(delta or {}) | (self._last_reply(text) if text else {})
        return Event(
            invocation_id=self.ctx.invocation_id,
            author=self.coordinator.name,
            branch=self.ctx.branch,
            content=text_content(text) if text else None,
            actions=EventActions(state_delta=delta),
        )


class Coordinator(BaseAgent):
    """Base of both coordinators; subclasses set `state_type` and write `run_turn`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    state_type: ClassVar[type[SessionState]] = SessionState

    classifier: BaseLlm | None = None
    """Model asked to classify a message the rules cannot place (None: never ask)."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        turn = Turn(self, ctx, read_message(content_text(ctx.user_content)))
        async for event in self.run_turn(turn):
            yield event
        if (rest := turn.flush()) is not None:
            yield rest

    async def run_turn(self, turn: Turn) -> AsyncGenerator[Event, None]:
        """The agent's decision step: yield `turn.say(...)`, `turn.record(...)` or `turn.relay(...)`'s events."""
        raise NotImplementedError
        yield  # pragma: no cover  (makes this an async generator)
