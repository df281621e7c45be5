"""What real small models get wrong in a response, absorbed in code before ADK acts on it.

`Absorb(rules)(callback_context, llm_response)` is every specialist's
`after_model_callback` (through `tools.llm.guards.guards`). In order:

1. **Tool calls written as text** (`tools.llm.textcalls`) become real function calls and
   leave no text behind; anything that does not parse as a call stays text.
2. **Names a model mangles** ("addItemToOrder", "functions.add_item_to_order") are
   renamed to the one tool of this specialist they stand for. Any other name stays, and
   the tool-error guard refuses it naming the tools the specialist has.
3. **The same call repeated** (name and arguments, compared normalized) in one response
   or after it already ran this turn runs once, unless the customer's own words name it
   more times (each word of its text arguments counted in the message), or its tool
   checks repeats itself (`Rules.own_repeat_check`). When every call of a response was
   a repeat, the customer gets what those calls answered the first time.
4. **A text answer where a tool call was due** is asked again once: with only the due
   tools and `tool_choice=required` when the specialist declares them (`Rules.due`), or
   with all its tools when the text claims an action ("Listo, lo agregué") and no tool
   ran this turn. The second answer is used if it calls a tool.
5. **An answer echoing the instruction or a tool schema** (`tools.llm.echo`) is replaced
   by what this turn's tools said, else a short Spanish apology.

The request is not an argument of ADK's after-model callbacks, so `remember_request`
(a before-model callback) keeps it per invocation and agent until the answer comes.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from google.adk.agents.callback_context import CallbackContext
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.genai import types

from tools.llm import replies
from tools.llm.echo import echoes
from tools.llm.message import customer_text
from tools.llm.textcalls import is_residue, split_text_calls
from tools.text import normalize

log = logging.getLogger(__name__)

NUDGE_MARK = "[aviso del sistema]"
"""Start of the extra user-turn line of a re-ask; `tools.llm.scripted.read_request` knows it."""
GUARD_KEY = "guard"
"""`custom_metadata` key on responses the guards wrote themselves (never absorbed again)."""
_CLAIM = re.compile(
    r"\b(listo|hecho|ya (esta|quedo|lo|la|los|las|te)|agregue|anote|sume|saque|quite|cambie|confirme|guarde|"
    r"registre|cancele|aplique|canjee|abri|envie|mande|emiti|finalice|cargue)\b"
)

ToolsDue = Callable[[CallbackContext], Collection[str]]
Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Rules:
    """What one specialist declares about its tools."""

    due: ToolsDue | None = None
    """The tools one of which must be called this turn (empty: none is due)."""
    own_repeat_check: frozenset[str] = field(default_factory=frozenset)
    """Tools whose own code checks a repeated call against the customer's words."""


# --------------------------------------------------------------------------- the request

_requests: dict[tuple[str, str], LlmRequest] = {}
_KEEP = 512


def _key(ctx: CallbackContext) -> tuple[str, str]:
    return ctx.invocation_id, ctx.agent_name


def remember_request(ctx: CallbackContext, llm_request: LlmRequest) -> None:
    """Keep `llm_request` for the after-model callback of the same call."""
    if len(_requests) >= _KEEP:
        _requests.pop(next(iter(_requests)))
    _requests[_key(ctx)] = llm_request


def forget_request(ctx: CallbackContext) -> LlmRequest | None:
    return _requests.pop(_key(ctx), None)


# --------------------------------------------------------------------------- helpers


def guard_response(text: str, kind: str) -> LlmResponse:
    """A text answer written by the guards (marked, so it is never absorbed again)."""
    return LlmResponse(content=types.Content(role="model", parts=[types.Part(text=text)]), custom_metadata={GUARD_KEY: kind})


def _alias(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())


def _identity(name: str, args: dict[str, Any]) -> str:
    def norm(value: Any) -> Any:
        if isinstance(value, str):
            return normalize(value)
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value

    return name + json.dumps(norm(args), sort_keys=True, ensure_ascii=False, default=str)


def _named(args: dict[str, Any], customer: str) -> int:
    """How many times the customer's message names this call: the least-counted word of its text arguments."""
    text = normalize(customer)
    counts = [text.count(w) for v in args.values() if isinstance(v, str) for w in normalize(v).split() if len(w) >= 3]
    return max(1, min(counts)) if counts else 1


@dataclass
class TurnSoFar:
    """This specialist's calls and their answers since the customer's message (from the request)."""

    calls: list[Call] = field(default_factory=list)
    answers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @classmethod
    def of(cls, request: LlmRequest | None) -> TurnSoFar:
        turn = cls()
        for content in request.contents if request else []:
            for part in content.parts or []:
                if part.function_call:
                    turn.calls.append((part.function_call.name or "", dict(part.function_call.args or {})))
                elif part.function_response:
                    turn.answers.append((part.function_response.name or "", dict(part.function_response.response or {})))
                elif content.role == "user" and part.text and not part.text.startswith(("For context:", NUDGE_MARK)):
                    turn = cls()  # the customer spoke: a new turn
        return turn

    def messages(self) -> str:
        """The `message`s of this turn's answers that did not fail (what the customer may read)."""
        said = [str(r.get("message") or (r["result"] if isinstance(r.get("result"), str) else ""))
                for _, r in self.answers if r.get("ok") is not False and "error" not in r]
        return " ".join(dict.fromkeys(m for m in said if m))


def _calls(response: LlmResponse) -> list[types.Part]:
    return [p for p in (response.content.parts if response.content else None) or [] if p.function_call]


def _text(response: LlmResponse) -> str:
    parts = (response.content.parts if response.content else None) or []
    return "".join(p.text or "" for p in parts if p.text and not p.thought).strip()


# --------------------------------------------------------------------------- the steps


def lift_text_calls(response: LlmResponse, tools: Collection[str]) -> bool:
    """Step 1: function calls for calls written as text; drop the text they leave. True if changed."""
    if not response.content or not response.content.parts:
        return False
    parts: list[types.Part] = []
    changed = False
    for part in response.content.parts:
        if not part.text or part.thought:
            parts.append(part)
            continue
        calls, rest = split_text_calls(part.text, tools)
        residue = not calls and is_residue(part.text) and bool(_calls(response))
        if not calls and not residue:
            parts.append(part)
            continue
        changed = True
        if rest and not residue:
            parts.append(types.Part(text=rest))
        parts += [types.Part(function_call=types.FunctionCall(name=n, args=a)) for n, a in calls]
    response.content.parts = parts
    return changed


def rename_aliases(response: LlmResponse, tools: Collection[str]) -> bool:
    """Step 2: a mangled name that stands for exactly one of the specialist's tools is renamed."""
    by_alias: dict[str, list[str]] = {}
    for name in tools:
        by_alias.setdefault(_alias(name), []).append(name)
    changed = False
    for part in _calls(response):
        call = part.function_call
        assert call is not None
        match = by_alias.get(_alias(call.name or ""), [])
        if call.name not in tools and len(match) == 1:
            log.info("model called %r: renamed to %r", call.name, match[0])
            call.name, changed = match[0], True
    return changed


def drop_repeats(response: LlmResponse, turn: TurnSoFar, customer: str, rules: Rules) -> list[Call]:
    """Step 3: remove repeated calls from `response`; return the ones removed."""
    seen = Counter(_identity(n, a) for n, a in turn.calls)
    kept: list[types.Part] = []
    dropped: list[Call] = []
    for part in (response.content.parts if response.content else None) or []:
        call = part.function_call
        if call is None or (call.name or "") in rules.own_repeat_check:
            kept.append(part)
            continue
        name, args = call.name or "", dict(call.args or {})
        key = _identity(name, args)
        if seen[key] >= _named(args, customer):
            dropped.append((name, args))
            continue
        seen[key] += 1
        kept.append(part)
    if dropped and response.content:
        log.warning("model repeated %s: run once", sorted({n for n, _ in dropped}))
        response.content.parts = kept
    return dropped


def narrowed(request: LlmRequest, tools: Collection[str] | None, nudge: str) -> LlmRequest:
    """`request` asked again: with only `tools` (forced: tool_choice=required) and a short nudge last."""
    config = (request.config or types.GenerateContentConfig()).model_copy()
    tools_dict = dict(request.tools_dict)
    if tools is not None:
        config.tools = [
            types.Tool(function_declarations=decls)
            for tool in config.tools or []
            if (decls := [d for d in getattr(tool, "function_declarations", None) or [] if d.name in tools])
        ]
        tools_dict = {name: tool for name, tool in tools_dict.items() if name in tools}
        config.tool_config = types.ToolConfig(function_calling_config=types.FunctionCallingConfig(
            mode=types.FunctionCallingConfigMode.ANY, allowed_function_names=sorted(tools_dict)))
    nudge_part = types.Content(role="user", parts=[types.Part(text=f"{NUDGE_MARK} {nudge}")])
    return request.model_copy(update={"config": config, "tools_dict": tools_dict, "contents": [*request.contents, nudge_part]})


# --------------------------------------------------------------------------- the callback


class Absorb:
    """The after-model callback; `ask_again(ctx, request)` sends a narrowed request (the guards pass one)."""

    def __init__(self, rules: Rules, ask_again: Callable[[CallbackContext, LlmRequest], Any]) -> None:
        self.rules, self.ask_again = rules, ask_again

    async def __call__(self, callback_context: CallbackContext, llm_response: LlmResponse) -> LlmResponse | None:
        request = forget_request(callback_context)
        if (request is None or llm_response.partial or llm_response.error_code
                or (llm_response.custom_metadata or {}).get(GUARD_KEY)):
            return None
        customer = customer_text(callback_context.user_content)
        turn = TurnSoFar.of(request)
        response = llm_response.model_copy(deep=True)
        changed = self._calls(response, request, turn, customer)
        if _calls(response):
            return response if changed else None
        if changed and not _text(response):  # only repeats (or their wrapping) were left: say what they said
            return _with_text(response, turn.messages() or replies.TOO_MANY_CALLS)
        if (due := self._due(callback_context, response, turn, request)) is not None:
            again = await self.ask_again(callback_context, narrowed(request, *due))
            if again is not None and not again.error_code:
                again = again.model_copy(deep=True)
                self._calls(again, request, turn, customer)
                if _calls(again):
                    return again
        if echoes(_text(response), request, customer, str(callback_context.state.get("last_reply") or "")):
            log.warning("model echoed its instruction or a tool schema (agent %s)", callback_context.agent_name)
            return _with_text(response, turn.messages() or replies.CONFUSED)
        return response if changed else None

    def _calls(self, response: LlmResponse, request: LlmRequest, turn: TurnSoFar, customer: str) -> bool:
        tools = list(request.tools_dict)
        changed = lift_text_calls(response, tools)
        changed = rename_aliases(response, tools) or changed
        return bool(drop_repeats(response, turn, customer, self.rules)) or changed

    def _due(self, ctx: CallbackContext, response: LlmResponse, turn: TurnSoFar,
             request: LlmRequest) -> tuple[Collection[str] | None, str] | None:
        """(tools to offer again, None: all; the nudge) when a call was due and text came instead."""
        due = [t for t in self.rules.due(ctx) if t in request.tools_dict] if self.rules.due else []
        if due and not any(name in due for name, _ in turn.calls):
            return due, f"No llamaste a ninguna herramienta. Llamá ahora a {' o '.join(due)} con los datos del mensaje del cliente."
        said, before = normalize(_text(response)), normalize(str(ctx.state.get("last_reply") or ""))
        if not turn.calls and _CLAIM.search(said.replace(before, " ") if before else said):
            return None, "Dijiste que lo hiciste, pero no llamaste a ninguna herramienta: llamá a la que corresponda."
        return None


def _with_text(response: LlmResponse, text: str) -> LlmResponse:
    return response.model_copy(update={"content": types.Content(role="model", parts=[types.Part(text=text)])})
