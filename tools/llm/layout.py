"""Requests laid out for a prefix cache: what never changes first, the turn's context last.

A specialist's system instruction (ADK's `static_instruction`) and tool schemas are the same
bytes on every call, so a llama.cpp or Ollama server reuses them from its cache; what
changes within a conversation (the bot's last reply, ...) goes in the user turn, as a short
message right before the customer's, where it costs only its own tokens.
`context_before_message(context)` is the `before_model_callback` that puts it there.
"""

from __future__ import annotations

from collections.abc import Callable

from google.adk.agents.callback_context import CallbackContext
from google.adk.models.llm_request import LlmRequest
from google.genai import types

ContextCallback = Callable[[CallbackContext, LlmRequest], None]


def context_before_message(context: Callable[[CallbackContext], str | None]) -> ContextCallback:
    """A before-model callback inserting `context(ctx)` (when not empty) as a user message before the customer's."""

    def add_context(callback_context: CallbackContext, llm_request: LlmRequest) -> None:
        text = context(callback_context)
        if not text:
            return
        spoken = [i for i, c in enumerate(llm_request.contents) if c.role == "user"
                  and any(p.text for p in c.parts or []) and not any(p.function_response for p in c.parts or [])]
        at = spoken[-1] if spoken else 0
        llm_request.contents.insert(at, types.Content(role="user", parts=[types.Part(text=text)]))
        return

    return add_context
