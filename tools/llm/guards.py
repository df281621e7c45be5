"""Callbacks every specialist registers: `**guards(...)` (or `**GUARDS`, no rules) on each `LlmAgent`.

- `before_model`: cuts over-long customer text, counts model calls in this
  invocation and, past the cap, answers with a short apology instead of calling the
  model again; keeps the request for the after-model step.
- `after_model` (`tools.llm.absorb.Absorb`): text tool calls run as real calls,
  repeated calls run once, mangled tool names renamed, a text answer where a call
  was due asked again once, an echoed instruction never reaches the customer.
- `on_model_error`: the model server is down or timed out; the customer gets a true
  Spanish apology (it says something is kept only when `kept(state)` says so), the
  operator a log line with the URL; the session keeps the customer's message (the
  runner stored it before the model was called) and whatever code already wrote.
- `on_tool_error`: a failing tool or a tool this specialist does not have becomes a
  message the model can act on, naming the tools it does have, never a traceback;
  both count in the `tool_errors` metric (a made-up name as tool "(unknown)", so the
  model cannot grow the metric's label set).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from google.adk.agents.callback_context import CallbackContext
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.tools import BaseTool, ToolContext

from tools.llm.absorb import (
    Absorb,
    Rules,
    ToolsDue,
    forget_request,
    guard_response,
    remember_request,
)
from tools.llm.message import read_message
from tools.llm.replies import TOO_MANY_CALLS, model_down
from tools.observability import record_tool_error
from tools.settings import get_settings

AfterModel = Callable[[CallbackContext, LlmResponse], Awaitable[LlmResponse | None]]

log = logging.getLogger(__name__)

MODEL_CALLS_KEY = "temp:model_calls"
UNKNOWN_TOOL = "(unknown)"


def text_response(text: str, kind: str = "guard") -> LlmResponse:
    return guard_response(text, kind)


def model_calls_this_turn(state: Any, invocation_id: str) -> int:
    record = state.get(MODEL_CALLS_KEY) or {}
    return int(record.get(invocation_id, 0))


def _count_call(callback_context: CallbackContext) -> bool:
    """Count one more model call in this invocation; False (and nothing counted) past the cap."""
    invocation_id = callback_context.invocation_id
    calls = model_calls_this_turn(callback_context.state, invocation_id)
    if calls >= get_settings().max_model_calls_per_turn:
        log.warning("model call cap reached in invocation %s", invocation_id)
        return False
    callback_context.state[MODEL_CALLS_KEY] = {invocation_id: calls + 1}
    return True


def cap_model_calls(callback_context: CallbackContext, llm_request: LlmRequest) -> LlmResponse | None:
    """Send the customer's text as the coordinator read it (cut to size), and refuse calls past the per-turn cap."""
    for content in llm_request.contents:
        for part in content.parts or []:
            if content.role == "user" and part.text:
                part.text = read_message(part.text).text
    if not _count_call(callback_context):
        return text_response(TOO_MANY_CALLS, "cap")
    remember_request(callback_context, llm_request)
    return None


async def ask_again(callback_context: CallbackContext, llm_request: LlmRequest) -> LlmResponse | None:
    """One more call of this specialist's model with `llm_request` (within the cap); None if it fails."""
    if not _count_call(callback_context):
        return None
    model = callback_context.get_invocation_context().agent.canonical_model  # type: ignore[attr-defined]
    final: LlmResponse | None = None
    try:
        async for response in model.generate_content_async(llm_request):
            if not response.partial:
                final = response
    except Exception as error:  # noqa: BLE001 (any failure of the second ask: the first answer stands)
        log.warning("asking the model again failed: %s: %s", type(error).__name__, str(error)[:200])
        return None
    return final


def _apologize(kept: Callable[[Mapping[str, Any]], bool] | None) -> Callable[..., LlmResponse]:
    def apologize_on_model_error(callback_context: CallbackContext, llm_request: LlmRequest, error: Exception) -> LlmResponse:
        forget_request(callback_context)
        log.error(
            "model call failed (model=%s, server=%s): %s: %s",
            llm_request.model or get_settings().llm_model,
            get_settings().ollama_api_base,
            type(error).__name__,
            str(error)[:300],
        )
        saved = bool(kept and kept(callback_context.state.to_dict()))
        return text_response(model_down(saved), "model_down")

    return apologize_on_model_error


apologize_on_model_error = _apologize(None)


def tool_names(tool_context: ToolContext) -> list[str]:
    """Names of the tools of the agent running this tool call."""
    agent = tool_context.get_invocation_context().agent
    names = []
    for tool in getattr(agent, "tools", None) or []:
        name = getattr(tool, "name", None) or getattr(tool, "__name__", None)
        if name:
            names.append(str(name))
    return names


def tool_error_as_message(tool: BaseTool, args: dict[str, Any], tool_context: ToolContext, error: Exception) -> dict[str, Any]:
    if isinstance(error, ValueError) and "not found" in str(error):
        log.warning("model called unknown tool %r", tool.name)
        record_tool_error(tool_context.agent_name, UNKNOWN_TOOL)
        mine = ", ".join(tool_names(tool_context)) or "ninguna"
        return {"ok": False, "error": f"La herramienta '{tool.name}' no existe acá. Tus herramientas son: {mine}. "
                                      "Usá una de esas o respondé al cliente."}
    log.exception("tool %s failed", tool.name, exc_info=error)
    record_tool_error(tool_context.agent_name, tool.name)
    return {"ok": False, "error": "La herramienta falló. Pedile disculpas al cliente y ofrecé intentar de nuevo."}


def guards(
    *,
    due: ToolsDue | Collection[str] | None = None,
    own_repeat_check: Collection[str] = (),
    kept: Callable[[Mapping[str, Any]], bool] | None = None,
    then: AfterModel | None = None,
) -> dict[str, Any]:
    """Keyword arguments for a specialist's `LlmAgent`.

    `due`: the tools one of which must be called this turn (a collection: always; a
    function of the callback context: when it says) — a text answer instead is asked
    again once with only those tools, forced. `own_repeat_check`: tools whose own code
    checks repeated calls (the generic check leaves them alone). `kept(state)`: whether
    the conversation has something saved, for a true apology when the model fails.
    `then`: the agent's own check of the calls, run (in place) on the response once the
    model's habits are absorbed.
    """
    rule: ToolsDue | None = (lambda _ctx, names=tuple(due): names) if isinstance(due, Collection) else due
    return {
        "before_model_callback": cap_model_calls,
        "after_model_callback": _and_then(Absorb(Rules(due=rule, own_repeat_check=frozenset(own_repeat_check)), ask_again), then),
        "on_model_error_callback": apologize_on_model_error if kept is None else _apologize(kept),
        "on_tool_error_callback": tool_error_as_message,
    }


def _and_then(absorb: AfterModel, then: AfterModel | None) -> AfterModel:
    """`absorb`, then `then` on whatever response results (ADK stops at the first callback that returns one)."""
    if then is None:
        return absorb

    async def both(callback_context: CallbackContext, llm_response: LlmResponse) -> LlmResponse | None:
        absorbed = await absorb(callback_context, llm_response)
        await then(callback_context, absorbed or llm_response)
        return absorbed

    return both


GUARDS: dict[str, Any] = guards()
"""Keyword arguments every specialist `LlmAgent` takes when it declares no rules."""
