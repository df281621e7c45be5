"""A scripted stand-in for a language model, for tests, evals and offline demos.

`ScriptedLlm` is a real `BaseLlm`: ADK builds the same request it would send to
Ollama, and the script answers with real function calls or text. The answer is
decided from the request's contents (which agent is asking, the customer's
latest message, the tool results so far in this turn), never from a call
counter, so the same script drives any conversation order.

Every request is recorded (`ScriptedLlm.requests`) with its prompt text, so
tests and the eval runner can count model calls and prompt tokens.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Any

from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.genai import types
from pydantic import ConfigDict, Field

from tools.llm.absorb import NUDGE_MARK
from tools.llm.tokens import count_tokens

_AGENT_NAME = re.compile(r'Your internal name is "([^"]+)"')


@dataclass
class View:
    """What the scripted model reads off a request."""

    agent: str
    tools: list[str]
    system: str
    user_text: str
    responses: list[tuple[str, dict[str, Any]]]  # (tool name, response) since the user spoke
    prompt_text: str  # everything the model would read: instructions, tool schemas, contents
    nudged: bool = False  # the guards asked again after a text answer where a tool call was due
    forced: bool = False  # ... and only a tool call will do (tool_choice=required)

    @property
    def prompt_chars(self) -> int:
        return len(self.prompt_text)

    @property
    def prompt_tokens(self) -> int:
        return count_tokens(self.prompt_text)

    @property
    def after(self) -> str | None:
        """Name of the last tool answered in this turn, None at the start of the turn."""
        return self.responses[-1][0] if self.responses else None

    def messages(self) -> list[str]:
        return [str(r.get("message") or r.get("result") or r.get("error") or "") for _, r in self.responses]


@dataclass
class Reply:
    """A scripted model answer: parallel function calls, or text, or both."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    text: str | None = None

    @classmethod
    def call(cls, tool: str, /, **args: Any) -> Reply:
        return cls(calls=[(tool, args)])

    @classmethod
    def say(cls, text: str) -> Reply:
        return cls(text=text)


Policy = Callable[[View], Reply | None]


def read_request(llm_request: LlmRequest) -> View:
    config = llm_request.config
    system = ""
    if config and config.system_instruction:
        si = config.system_instruction
        system = si if isinstance(si, str) else " ".join(p.text or "" for p in getattr(si, "parts", []) or [])
    tools = list(llm_request.tools_dict)
    user_text = ""
    nudged = False
    responses: list[tuple[str, dict[str, Any]]] = []
    for content in llm_request.contents:
        for part in content.parts or []:
            if part.function_response:
                responses.append((part.function_response.name or "", dict(part.function_response.response or {})))
            elif content.role == "user" and part.text and part.text.startswith(NUDGE_MARK):
                nudged = True
            elif content.role == "user" and part.text and not part.text.startswith("For context:"):
                user_text = part.text
                responses = []
    schemas = [json.dumps(t.model_dump(exclude_none=True), default=str, ensure_ascii=False) for t in (config.tools or [])] if config else []
    contents = [
        p.text or json.dumps(
            (p.function_call or p.function_response).model_dump(exclude_none=True), default=str, ensure_ascii=False
        ) if (p.text or p.function_call or p.function_response) else ""
        for c in llm_request.contents for p in (c.parts or [])
    ]
    match = _AGENT_NAME.search(system)
    return View(
        agent=match.group(1) if match else "",
        tools=tools,
        system=system,
        user_text=user_text,
        responses=responses,
        prompt_text="\n".join([system, *schemas, *contents]),
        nudged=nudged,
        forced=bool(config and config.tool_config and config.tool_config.function_calling_config
                    and config.tool_config.function_calling_config.mode == types.FunctionCallingConfigMode.ANY),
    )


def default_reply(view: View) -> Reply:
    """After tools: relay their messages. Otherwise: a neutral question."""
    if view.responses:
        return Reply.say(" ".join(m for m in view.messages() if m) or "Listo.")
    return Reply.say("¿En qué te puedo ayudar?")


class ScriptedLlm(BaseLlm):
    """A `BaseLlm` whose answers come from `policy(view)`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: str = "scripted"
    policy: Any = None  # Policy; Any keeps pydantic from validating the callable's signature
    latency_s: float = 0.0
    requests: list[View] = Field(default_factory=list)

    @classmethod
    def supported_models(cls) -> list[str]:
        return [r"scripted"]

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        view = read_request(llm_request)
        self.requests.append(view)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        reply = (self.policy(view) if self.policy else None) or default_reply(view)
        parts = [types.Part(text=reply.text)] if reply.text else []
        parts += [types.Part(function_call=types.FunctionCall(name=n, args=a)) for n, a in reply.calls]
        yield LlmResponse(
            content=types.Content(role="model", parts=parts),
            usage_metadata=types.GenerateContentResponseUsageMetadata(
                prompt_token_count=view.prompt_tokens, candidates_token_count=count_tokens(reply.text or str(reply.calls))
            ),
        )


@dataclass
class Rule:
    """One line of a test script: when `agent` sees a message matching `user` (and,
    if given, right after tool `after`), answer `reply`."""

    agent: str
    user: str = ".*"
    after: str | None = None
    reply: Reply | Callable[[View], Reply] = field(default_factory=Reply)

    def matches(self, view: View) -> bool:
        return (
            self.agent in (view.agent, "*")
            and (self.after == view.after)
            and re.search(self.user, view.user_text, re.IGNORECASE | re.DOTALL) is not None
        )


def rules(*script: Rule, fallback: Policy | None = None) -> Policy:
    """A policy from rules (first match wins), falling back to `fallback` or relaying tool messages."""

    def policy(view: View) -> Reply | None:
        for rule in script:
            if rule.matches(view):
                return rule.reply(view) if callable(rule.reply) else rule.reply
        return fallback(view) if fallback else None

    return policy
