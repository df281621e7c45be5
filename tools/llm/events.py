"""Event helpers shared by both coordinators."""

from __future__ import annotations

from typing import Any

from google.adk.agents.invocation_context import InvocationContext
from google.adk.events import Event, EventActions
from google.genai import types


def coordinator_event(ctx: InvocationContext, author: str, text: str | None = None, delta: dict[str, Any] | None = None) -> Event:
    """An event a coordinator emits itself; text it says is also remembered as `last_reply`."""
    delta = dict(delta or {})
    if text:
        delta["last_reply"] = text[:300]
    return Event(
        invocation_id=ctx.invocation_id,
        author=author,
        branch=ctx.branch,
        content=text_content(text) if text else None,
        actions=EventActions(state_delta=delta),
    )


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


def user_text(content: types.Content | None) -> str:
    if not content or not content.parts:
        return ""
    return " ".join(p.text for p in content.parts if p.text)
