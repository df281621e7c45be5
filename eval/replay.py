"""Run eval cases through the real agents and measure every model call.

- `load_cases`: the eval sets of one agent, with ADK's own loader.
- `replay_policy`: a scripted-model policy that answers each turn with exactly the
  tool calls the case expects (one parallel batch), so the calls run through the
  real coordinator, specialists and tools.
- `MeteredLlm`: wraps any model (scripted, or LiteLLM's for a real server) and
  records each call: tokens, wall time, and whether it was a routing classification.
- `run_case`: drives one conversation through ADK's Runner, then checks the session
  state the case expects (ADK's evaluators do not check state).

Token counts: with a real model, the server's own counts: the `CallCost` that
`tools.llm.accounted` attached (llama.cpp's `timings`: uncached and cached prompt
tokens, prefill and generation seconds; Ollama's eval counts and durations), else
LiteLLM's usage; otherwise, and always for the scripted model, the prompt text the
model would read and the text + function-call JSON it returned, counted with
`tools.llm.tokens` (cl100k from LiteLLM's bundled files, else chars / 3.5).

The reply of a turn is what the customer reads: the text of its final responses
(`gateway.turns.reply_text`), not text the model wrote next to a function call.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any

from google.adk.agents import BaseAgent
from google.adk.evaluation.eval_case import EvalCase
from google.adk.evaluation.local_eval_sets_manager import load_eval_set_from_file
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from pydantic import Field

from eval.report import (
    CallRecord,
    CaseResult,
    Mode,
    StateMismatch,
    ToolCall,
    TurnRecord,
)
from tools.llm import tokens
from tools.llm.cost import cost_of
from tools.llm.scripted import Policy, Reply, ScriptedLlm, View, read_request

EVAL_DIR = Path(__file__).parent


def load_cases(agent_dir: str) -> list[tuple[str, EvalCase]]:
    cases = []
    for path in sorted((EVAL_DIR / agent_dir).glob("*.evalset.json")):
        eval_set = load_eval_set_from_file(str(path), path.name.removesuffix(".evalset.json"))
        cases += [(eval_set.eval_set_id, case) for case in eval_set.eval_cases]
    return cases


def expected_turns(case: EvalCase) -> list[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """(customer text, expected tool calls) per turn."""
    return [
        (
            "".join(p.text or "" for p in inv.user_content.parts or []),
            [(c.name or "", dict(c.args or {})) for c in (inv.intermediate_data.tool_uses if inv.intermediate_data else [])],
        )
        for inv in case.conversation or []
    ]


def replay_policy(case: EvalCase) -> Policy:
    expected = dict(expected_turns(case))

    def policy(view: View) -> Reply | None:
        if view.responses:
            return None  # relay tool messages
        calls = expected.get(view.user_text, [])
        if calls and all(name in view.tools for name, _ in calls):
            return Reply(calls=calls)
        return Reply.say("¿Algo más?")

    return policy


def token_source() -> str:
    return "cl100k" if tokens._encoder() is not None else "estimate"


class MeteredLlm(BaseLlm):
    """Any `BaseLlm`, with a `CallRecord` appended to `calls` for each request."""

    inner: BaseLlm
    trust_usage: bool = True  # take the server's token counts when the response has them
    calls: list[CallRecord] = Field(default_factory=list)

    @classmethod
    def around(cls, inner: BaseLlm) -> MeteredLlm:
        return cls(model=inner.model, inner=inner, trust_usage=not isinstance(inner, ScriptedLlm))

    @property
    def capabilities(self):  # type: ignore[override]
        return self.inner.capabilities

    async def generate_content_async(self, llm_request: LlmRequest, stream: bool = False) -> AsyncGenerator[LlmResponse, None]:
        view = read_request(llm_request)
        start = time.perf_counter()
        final: LlmResponse | None = None
        try:
            async for response in self.inner.generate_content_async(llm_request, stream):
                if not response.partial:
                    final = response
                    self.calls.append(self._record(view, response, time.perf_counter() - start))
                yield response
        except Exception as exc:
            if final is None:
                self.calls.append(self._record(view, None, time.perf_counter() - start, f"{type(exc).__name__}: {exc}"[:300]))
            raise
        if final is None:  # a stream that never closed with a complete response
            self.calls.append(self._record(view, None, time.perf_counter() - start, "no final response"))

    def _record(self, view: View, response: LlmResponse | None, wall_s: float, error: str | None = None) -> CallRecord:
        base = {"agent": view.agent, "routing": not view.agent and not view.tools, "wall_s": round(wall_s, 4), "error": error}
        cost = cost_of(response) if self.trust_usage else None
        if cost is not None:
            return CallRecord(**base, prompt_tokens=cost.prompt_tokens, completion_tokens=cost.completion_tokens,
                              token_source=cost.source, cached_tokens=cost.cached_tokens, prefill_s=cost.prefill_s,
                              generation_s=cost.generation_s)
        usage = response.usage_metadata if response and self.trust_usage else None
        if usage and usage.prompt_token_count is not None:
            return CallRecord(**base, prompt_tokens=usage.prompt_token_count, completion_tokens=usage.candidates_token_count or 0,
                              token_source="usage", cached_tokens=usage.cached_content_token_count)
        return CallRecord(**base, prompt_tokens=view.prompt_tokens, completion_tokens=tokens.count_tokens(_answer_text(response)),
                          token_source=token_source())


def _answer_text(response: LlmResponse | None) -> str:
    """What the model returned: its text and each function call as JSON."""
    parts = (response.content.parts if response and response.content else None) or []
    return "\n".join(
        p.text or json.dumps({"name": p.function_call.name, "arguments": p.function_call.args or {}}, ensure_ascii=False)
        for p in parts if p.text or p.function_call
    )


def failed(response: dict[str, Any]) -> bool:
    return response.get("ok") is False or "error" in response


def _comparable(key: str, value: Any) -> Any:
    if key == "current_order" and isinstance(value, dict):
        return {
            "items": sorted((i["item_id"], i["size"], i["quantity"]) for i in value.get("items", [])),
            "total": value.get("total"),
        }
    return value


async def run_case(
    eval_set: str,
    case: EvalCase,
    build_agent: Callable[[BaseLlm], BaseAgent],
    app_name: str,
    model: BaseLlm | None = None,
    mode: Mode = "replay",
    seed: int | None = None,
) -> CaseResult:
    """Play `case` on `model` (default: the replay model) and measure it."""
    metered = MeteredLlm.around(model or ScriptedLlm(policy=replay_policy(case)))
    runner = InMemoryRunner(agent=build_agent(metered), app_name=app_name)
    user_id = case.session_input.user_id if case.session_input else "eval-user"
    session = await runner.session_service.create_session(
        app_name=app_name, user_id=user_id, state=dict(case.session_input.state) if case.session_input else {}
    )
    result = CaseResult(agent=app_name, eval_set=eval_set, case_id=case.eval_id, mode=mode, seed=seed)
    case_start = time.perf_counter()
    for invocation, (text, expected) in zip(case.conversation or [], expected_turns(case), strict=True):
        before, start = len(metered.calls), time.perf_counter()
        calls: list[ToolCall] = []
        texts: list[str] = []
        outcome: list[str] = []
        async for event in runner.run_async(user_id=user_id, session_id=session.id, new_message=invocation.user_content):
            calls += [ToolCall(name=c.name or "", args=dict(c.args or {})) for c in event.get_function_calls()]
            if responses := event.get_function_responses():
                outcome = sorted({f"{r.name}:{'failed' if failed(r.response or {}) else 'ok'}" for r in responses})
            if event.author != "user" and event.is_final_response() and event.content:
                texts += [p.text for p in event.content.parts or [] if p.text and not p.thought]
        result.turns.append(TurnRecord(
            user_text=text, reply="\n".join(texts), tool_calls=calls,
            expected_calls=[ToolCall(name=n, args=a) for n, a in expected], outcome=outcome,
            calls=metered.calls[before:], wall_s=round(time.perf_counter() - start, 4),
        ))
    result.wall_s = round(time.perf_counter() - case_start, 4)
    final = await runner.session_service.get_session(app_name=app_name, user_id=user_id, session_id=session.id)
    for key, want in (case.final_session_state or {}).items():
        got = final.state.get(key) if final else None
        if _comparable(key, got) != _comparable(key, want):
            result.state_mismatches[key] = StateMismatch(got=got, want=want)
    return result
