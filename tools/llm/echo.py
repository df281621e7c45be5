"""Whether a model's reply echoes its own instruction or tool schemas instead of answering.

Small models sometimes answer with their system prompt, a tool's JSON schema or
ADK's agent preamble. None of that may reach the customer. A reply echoes when:

- it names one of the request's tools (`add_item_to_order`: an identifier no customer
  reply needs), or carries JSON-schema keys or ADK's preamble ("internal name is");
- it starts with the instruction's first words (the classic echo), or shares a run of
  `RUN_WORDS` consecutive words with the instruction, the tool descriptions or the
  instruction text ADK put in the user turn, and that run speaks *about* the
  conversation the way only instructions do (`META`: "cliente", "herramienta", "llamá",
  "usá", "respondé", "nunca"...).

What the customer already read or wrote is not an echo: the previous reply (which the
instructions quote as context), the customer's message and tool results are left out
of the comparison, and data an instruction carries (the current order, a menu line)
may be repeated: a run without instruction words is not an echo.
"""

from __future__ import annotations

import json
import re

from google.adk.models.llm_request import LlmRequest

from tools.text import normalize

RUN_WORDS = 10
START_WORDS = 8
META = frozenset({"cliente", "clientes", "herramienta", "herramientas", "instruccion", "instrucciones", "llama", "usa",
                  "responde", "respondes", "hablas", "nunca", "inventes", "agent", "tool", "tools"})
"""Words instructions use about the conversation and that a reply to the customer does not."""
_MARKERS = re.compile(
    r'"(?:type|properties|parameters|required|function_declarations)"\s*:|internal name is|you are an agent', re.IGNORECASE
)


def instruction_text(request: LlmRequest) -> str:
    """The system instruction as sent (a string or the text of its parts)."""
    si = request.config.system_instruction if request.config else None
    if si is None:
        return ""
    if isinstance(si, str):
        return si
    parts = getattr(si, "parts", None) or []
    return " ".join(p.text or "" for p in parts)


def _schemas(request: LlmRequest) -> list[str]:
    found = []
    for tool in (request.config.tools or []) if request.config else []:
        for decl in getattr(tool, "function_declarations", None) or []:
            found.append(decl.description or "")
            found.append(json.dumps(decl.model_dump(exclude_none=True, mode="json"), ensure_ascii=False))
    return found


def _instruction_in_contents(request: LlmRequest, customer: str) -> list[str]:
    """User-turn text that is not the customer's message (ADK's dynamic instruction, context notes)."""
    return [
        p.text for c in request.contents if c.role == "user" for p in c.parts or []
        if p.text and not p.text.startswith("For context:") and normalize(p.text) != normalize(customer)
    ]


def _shares_instruction_run(reply: list[str], source: list[str], n: int) -> bool:
    """`reply` and `source` share `n` consecutive words, one of them an instruction word."""
    if len(reply) < n or len(source) < n:
        return False
    grams = {tuple(source[i:i + n]) for i in range(len(source) - n + 1)}
    return any(gram in grams and META.intersection(gram) for gram in (tuple(reply[i:i + n]) for i in range(len(reply) - n + 1)))


def echoes(reply: str, request: LlmRequest, customer: str = "", last_reply: str = "") -> bool:
    """True when `reply` repeats the request's instruction, tool schemas or names (see the module)."""
    if not reply.strip():
        return False
    tool_names = [name for name in request.tools_dict if "_" in name]
    if _MARKERS.search(reply) or any(re.search(rf"\b{re.escape(n)}\b", reply) for n in tool_names):
        return True
    said = normalize(reply).split()
    instruction = instruction_text(request)
    if last_reply:
        instruction = instruction.replace(last_reply, " ").replace(last_reply[:200], " ")
    first = normalize(instruction).split()[:START_WORDS]
    if len(first) == START_WORDS and said[:START_WORDS] == first:
        return True
    sources = [instruction, *_schemas(request), *_instruction_in_contents(request, customer)]
    return any(_shares_instruction_run(said, normalize(s).split(), RUN_WORDS) for s in sources)
