"""Replay eval cases through the real agent and measure them.

The replay model answers each turn with exactly the tool calls the eval case
expects (as one parallel batch), so the calls run through the real coordinator,
specialists and tools. We then check the session state the case expects (ADK's
evaluators do not check state) and report model calls and prompt tokens.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.adk.evaluation.eval_case import EvalCase
from google.adk.evaluation.local_eval_sets_manager import load_eval_set_from_file
from google.adk.runners import InMemoryRunner

from tools.llm.scripted import Reply, ScriptedLlm, View

EVAL_DIR = Path(__file__).parent


def load_cases(agent_dir: str) -> list[tuple[str, EvalCase]]:
    cases = []
    for path in sorted((EVAL_DIR / agent_dir).glob("*.evalset.json")):
        eval_set = load_eval_set_from_file(str(path), path.name.removesuffix(".evalset.json"))
        cases += [(eval_set.eval_set_id, case) for case in eval_set.eval_cases]
    return cases


def replay_policy(case: EvalCase):
    expected = {
        "".join(p.text or "" for p in inv.user_content.parts or []): [
            (call.name, dict(call.args or {})) for call in (inv.intermediate_data.tool_uses if inv.intermediate_data else [])
        ]
        for inv in case.conversation or []
    }

    def policy(view: View) -> Reply | None:
        if view.responses:
            return None  # relay tool messages
        calls = expected.get(view.user_text, [])
        if calls and all(name in view.tools for name, _ in calls):
            return Reply(calls=calls)
        return Reply.say("¿Algo más?")

    return policy


@dataclass
class CaseResult:
    eval_set: str
    case_id: str
    turns: int
    model_calls: list[int] = field(default_factory=list)  # per turn
    prompt_tokens: list[int] = field(default_factory=list)  # per model call
    tool_calls: list[list[tuple[str, dict[str, Any]]]] = field(default_factory=list)  # per turn
    expected_calls: list[list[tuple[str, dict[str, Any]]]] = field(default_factory=list)
    state_mismatches: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def trajectory_ok(self) -> bool:
        return self.tool_calls == self.expected_calls

    @property
    def passed(self) -> bool:
        return self.trajectory_ok and not self.state_mismatches


def _comparable(key: str, value: Any) -> Any:
    if key == "current_order" and isinstance(value, dict):
        return {
            "items": sorted((i["item_id"], i["size"], i["quantity"]) for i in value.get("items", [])),
            "total": value.get("total"),
        }
    return value


async def run_case(eval_set: str, case: EvalCase, build_agent, app_name: str) -> CaseResult:
    model = ScriptedLlm(policy=replay_policy(case))
    runner = InMemoryRunner(agent=build_agent(model), app_name=app_name)
    user_id = case.session_input.user_id if case.session_input else "eval-user"
    session = await runner.session_service.create_session(
        app_name=app_name, user_id=user_id, state=dict(case.session_input.state) if case.session_input else {}
    )
    result = CaseResult(eval_set, case.eval_id, len(case.conversation or []))
    for invocation in case.conversation or []:
        before = len(model.requests)
        calls: list[tuple[str, dict[str, Any]]] = []
        async for event in runner.run_async(user_id=user_id, session_id=session.id, new_message=invocation.user_content):
            calls += [(c.name, dict(c.args or {})) for c in event.get_function_calls()]
        result.tool_calls.append(calls)
        expected = invocation.intermediate_data.tool_uses if invocation.intermediate_data else []
        result.expected_calls.append([(c.name, dict(c.args or {})) for c in expected])
        result.model_calls.append(len(model.requests) - before)
    result.prompt_tokens = [view.prompt_tokens for view in model.requests]
    final = await runner.session_service.get_session(app_name=app_name, user_id=user_id, session_id=session.id)
    for key, want in (case.final_session_state or {}).items():
        got = final.state.get(key) if final else None
        if _comparable(key, got) != _comparable(key, want):
            result.state_mismatches[key] = (got, want)
    return result


def percentile(values: list[int], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))])


def report(results: list[CaseResult]) -> str:
    lines = ["| eval set | case | pass | turns | model calls/turn | prompt tokens p50 / max |", "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(
            f"| {r.eval_set} | {r.case_id} | {'✔' if r.passed else '✘'} | {r.turns} | "
            f"{statistics.mean(r.model_calls):.2f} | {percentile(r.prompt_tokens, 0.5):.0f} / {max(r.prompt_tokens, default=0)} |"
        )
    calls = [c for r in results for c in r.model_calls]
    tokens = [t for r in results for t in r.prompt_tokens]
    lines.append(
        f"\n{sum(r.passed for r in results)}/{len(results)} cases pass; {len(calls)} turns; "
        f"model calls per turn: mean {statistics.mean(calls):.2f}, max {max(calls)}; "
        f"turns with no model call: {sum(c == 0 for c in calls) / len(calls):.0%}; "
        f"prompt tokens per call: p50 {percentile(tokens, 0.5):.0f}, p95 {percentile(tokens, 0.95):.0f}, max {max(tokens, default=0)}"
    )
    return "\n".join(lines)
