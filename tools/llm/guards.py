"""Callbacks every specialist registers: a per-turn model-call cap, and errors turned into words.

- `cap_model_calls` (before_model): cuts over-long customer text, counts model calls
  in this invocation and, past the cap, answers with a short apology instead of
  calling the model again.
- `apologize_on_model_error` (on_model_error): the model server is down or timed
  out; the customer gets a Spanish apology, the operator a log line with the URL,
  and the session state stays as it was.
- `tool_error_as_message` (on_tool_error): a failing tool or a tool name the model
  made up becomes a message the model can act on, never a traceback; both count
  in the `tool_errors` metric (a made-up name as tool "(unknown)", so the model
  cannot grow the metric's label set).
"""

from __future__ import annotations

import logging
from typing import Any

from google.adk.agents.callback_context import CallbackContext
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.tools import BaseTool, ToolContext
from google.genai import types

from tools.llm.message import read_message
from tools.llm.replies import MODEL_DOWN, TOO_MANY_CALLS
from tools.observability import record_tool_error
from tools.settings import get_settings

log = logging.getLogger(__name__)

MODEL_CALLS_KEY = "temp:model_calls"
UNKNOWN_TOOL = "(unknown)"


def text_response(text: str) -> LlmResponse:
    return LlmResponse(content=types.Content(role="model", parts=[types.Part(text=text)]))


def model_calls_this_turn(state: Any, invocation_id: str) -> int:
    record = state.get(MODEL_CALLS_KEY) or {}
    return int(record.get(invocation_id, 0))


def cap_model_calls(callback_context: CallbackContext, llm_request: LlmRequest) -> LlmResponse | None:
    """Send the customer's text as the coordinator read it (cut to size), and refuse calls past the per-turn cap."""
    for content in llm_request.contents:
        for part in content.parts or []:
            if content.role == "user" and part.text:
                part.text = read_message(part.text).text
    invocation_id = callback_context.invocation_id
    calls = model_calls_this_turn(callback_context.state, invocation_id)
    if calls >= get_settings().max_model_calls_per_turn:
        log.warning("model call cap reached in invocation %s", invocation_id)
        return text_response(TOO_MANY_CALLS)
    callback_context.state[MODEL_CALLS_KEY] = {invocation_id: calls + 1}
    return None


def apologize_on_model_error(callback_context: CallbackContext, llm_request: LlmRequest, error: Exception) -> LlmResponse:
    log.error(
        "model call failed (model=%s, server=%s): %s: %s",
        llm_request.model or get_settings().llm_model,
        get_settings().ollama_api_base,
        type(error).__name__,
        str(error)[:300],
    )
    return text_response(MODEL_DOWN)


def tool_error_as_message(tool: BaseTool, args: dict[str, Any], tool_context: ToolContext, error: Exception) -> dict[str, Any]:
    if isinstance(error, ValueError) and "not found" in str(error):
        log.warning("model called unknown tool %r", tool.name)
        record_tool_error(tool_context.agent_name, UNKNOWN_TOOL)
        return {"ok": False, "error": f"La herramienta '{tool.name}' no existe. Usá solo las herramientas que tenés."}
    log.exception("tool %s failed", tool.name, exc_info=error)
    record_tool_error(tool_context.agent_name, tool.name)
    return {"ok": False, "error": "La herramienta falló. Pedile disculpas al cliente y ofrecé intentar de nuevo."}


GUARDS: dict[str, Any] = {
    "before_model_callback": cap_model_calls,
    "on_model_error_callback": apologize_on_model_error,
    "on_tool_error_callback": tool_error_as_message,
}
"""Keyword arguments every specialist `LlmAgent` takes."""
