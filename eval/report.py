"""The evaluation report: what each run measured, its summary, the targets, and the writers.

- `CallRecord`: one model call: prompt and completion tokens (and where the counts
  come from), wall time, and whether it was a coordinator's routing classification.
- `TurnRecord`: one customer turn: tool calls made and expected, model calls, reply.
- `CaseResult`: one conversation, with its final-state check and, in sloppy mode,
  the perturbations the model made.
- `Run`: every case of one agent in one mode ("replay": scripted, "sloppy": the
  scripted model perturbed over seeds, "model": a real model) and its `Summary`.
- `Report`: the runs and the issues' targets; `eval.markdown.write_report` saves it as
  `eval_report.json` and `eval_report.md`.
"""

from __future__ import annotations

import os
import re
import statistics
from collections import Counter
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from tools.llm.replies import MODEL_DOWN, TOO_MANY_CALLS
from tools.text import normalize

Mode = Literal["replay", "sloppy", "model"]


class ToolCall(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class CallRecord(BaseModel):
    """One model call. Token counts and seconds are the server's own where it reports them
    (`token_source` "llama.cpp" or "ollama": `tools.llm.cost`), else counted by us."""

    agent: str  # the specialist asking, "" for a coordinator's classification call
    routing: bool  # a coordinator asked the model to classify the message
    prompt_tokens: int  # the whole prompt
    completion_tokens: int
    token_source: Literal["llama.cpp", "ollama", "usage", "cl100k", "estimate"]
    wall_s: float
    error: str | None = None
    cached_tokens: int | None = None  # reused from the server's prompt cache; None: not reported
    prefill_s: float | None = None  # seconds on the prompt, as the server measured
    generation_s: float | None = None  # seconds generating the answer

    @computed_field
    @property
    def uncached_tokens(self) -> int:
        """Prompt tokens the server evaluated (what a call's time depends on)."""
        return self.prompt_tokens - (self.cached_tokens or 0)

    @property
    def timed_out(self) -> bool:
        return bool(self.error) and "timeout" in str(self.error).lower()


class TurnRecord(BaseModel):
    user_text: str
    reply: str
    tool_calls: list[ToolCall]
    expected_calls: list[ToolCall]
    outcome: list[str]  # the turn's last tool answers, "name:ok" or "name:failed" (error or ok=false)
    calls: list[CallRecord]
    wall_s: float

    @computed_field
    @property
    def tool_failed(self) -> bool:
        """The turn ended on a tool error: the bot could not act."""
        return any(o.endswith(":failed") for o in self.outcome)

    @computed_field
    @property
    def model_calls(self) -> int:
        return len(self.calls)

    @computed_field
    @property
    def routed_by_model(self) -> bool:
        return any(c.routing for c in self.calls)

    @computed_field
    @property
    def in_order(self) -> bool:
        """ADK's IN_ORDER match: the expected calls appear in order, others may come between."""
        expected = iter(self.expected_calls)
        want = next(expected, None)
        for call in self.tool_calls:
            if want is not None and call == want:
                want = next(expected, None)
        return want is None

    @computed_field
    @property
    def asked(self) -> bool:
        """The bot could not act and asked the customer a clear question instead."""
        return self.tool_failed and is_clarifying_question(self.reply)


class StateMismatch(BaseModel):
    got: Any
    want: Any


class Perturbation(BaseModel):
    kind: str
    tool: str
    before: dict[str, Any]
    sent: ToolCall  # what the sloppy model actually called


class ConversationCost(BaseModel):
    """What a conversation's model calls cost, summed (the server's counts where reported)."""

    model_calls: int
    prompt_tokens: int
    uncached_tokens: int
    cached_tokens: int
    completion_tokens: int
    prefill_s: float
    generation_s: float
    timeouts: int
    turn_wall_s_max: float

    @classmethod
    def of(cls, calls: list[CallRecord], walls: list[float]) -> ConversationCost:
        return cls(
            model_calls=len(calls),
            prompt_tokens=sum(c.prompt_tokens for c in calls),
            uncached_tokens=sum(c.uncached_tokens for c in calls),
            cached_tokens=sum(c.cached_tokens or 0 for c in calls),
            completion_tokens=sum(c.completion_tokens for c in calls),
            prefill_s=round(sum(c.prefill_s or 0.0 for c in calls), 3),
            generation_s=round(sum(c.generation_s or 0.0 for c in calls), 3),
            timeouts=sum(c.timed_out for c in calls),
            turn_wall_s_max=max(walls, default=0.0),
        )


class CaseResult(BaseModel):
    agent: str
    eval_set: str
    case_id: str
    mode: Mode = "replay"
    seed: int | None = None
    turns: list[TurnRecord] = Field(default_factory=list)
    state_mismatches: dict[str, StateMismatch] = Field(default_factory=dict)
    perturbations: list[Perturbation] = Field(default_factory=list)
    saved_orders: list[dict[str, Any]] = Field(default_factory=list)  # pizzeria: items and total of each order saved
    wall_s: float = 0.0

    @computed_field
    @property
    def trajectory_score(self) -> float:
        """Share of turns whose tool calls match IN_ORDER (ADK's tool_trajectory_avg_score)."""
        return sum(t.in_order for t in self.turns) / len(self.turns) if self.turns else 1.0

    @computed_field
    @property
    def state_ok(self) -> bool:
        return not self.state_mismatches

    @computed_field
    @property
    def passed(self) -> bool:
        return self.trajectory_score == 1.0 and self.state_ok

    @computed_field
    @property
    def success(self) -> bool:
        """Task success under perturbation: the final state is right, or the bot asked when stuck."""
        return self.state_ok or any(t.asked for t in self.turns)

    @computed_field
    @property
    def cost(self) -> ConversationCost:
        return ConversationCost.of([call for t in self.turns for call in t.calls], [t.wall_s for t in self.turns])


class Summary(BaseModel):
    cases: int
    passed: int
    succeeded: int
    turns: int
    model_calls_per_turn_mean: float
    model_calls_per_turn_max: int
    turns_without_model_call: float  # share of turns with no model call at all
    turns_routed_without_model: float  # share of turns the coordinator routed by rules alone
    prompt_tokens_p50: float
    prompt_tokens_p95: float
    prompt_tokens_max: int
    completion_tokens_p50: float
    completion_tokens_p95: float
    completion_tokens_max: int
    uncached_tokens_p50: float
    uncached_tokens_p95: float
    cached_share: float  # of all prompt tokens, the share the server reused
    prefill_s: float  # summed over calls
    generation_s: float
    timeouts: int
    turn_wall_s_p50: float
    turn_wall_s_p95: float
    wall_s: float
    perturbations: dict[str, int]


class Run(BaseModel):
    agent: str
    mode: Mode
    model: str
    suite: Literal["eval sets", "conversations"] = "eval sets"
    seeds: list[int] = Field(default_factory=list)
    cases: list[CaseResult]

    @computed_field
    @property
    def summary(self) -> Summary:
        return summarize(self.cases)


class Target(BaseModel):
    agent: str
    measure: str
    value: float
    target: str
    met: bool


class Report(BaseModel):
    model: str
    tokenizer: str
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    load_average: list[float] = Field(default_factory=lambda: [round(x, 2) for x in os.getloadavg()])
    """1, 5 and 15-minute load when the report was made (the machine may be shared)."""
    runs: list[Run]

    @computed_field
    @property
    def targets(self) -> list[Target]:
        return targets(self.runs)


# --------------------------------------------------------------------------- measures

_ASKING = re.compile(r"\b(?:decime|contame|indicame|elegi|avisame|cual|cuales|queres|preferis)\b")
_SPANISH = {"que", "de", "el", "la", "los", "las", "tu", "no", "un", "una", "con", "para", "por", "es", "tenemos",
            "queres", "decime", "pedido", "cual", "viene", "en", "opciones", "numero", "me"}


def looks_spanish(text: str) -> bool:
    """Spanish punctuation, or at least two common Spanish words."""
    return "¿" in text or "¡" in text or len(_SPANISH.intersection(normalize(text).split())) >= 2


def is_clarifying_question(text: str) -> bool:
    """A Spanish question or request for what is missing (not the call cap's or a server apology)."""
    if not text or TOO_MANY_CALLS in text or MODEL_DOWN in text:
        return False
    return looks_spanish(text) and ("?" in text or _ASKING.search(normalize(text)) is not None)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))])


def summarize(cases: list[CaseResult]) -> Summary:
    turns = [t for c in cases for t in c.turns]
    calls = [call for t in turns for call in t.calls]
    per_turn = [t.model_calls for t in turns] or [0]
    prompt = [c.prompt_tokens for c in calls]
    completion = [c.completion_tokens for c in calls]
    uncached = [c.uncached_tokens for c in calls]
    walls = [t.wall_s for t in turns]
    share = (lambda n: n / len(turns)) if turns else (lambda n: 0.0)
    return Summary(
        cases=len(cases),
        passed=sum(c.passed for c in cases),
        succeeded=sum(c.success for c in cases),
        turns=len(turns),
        model_calls_per_turn_mean=round(statistics.mean(per_turn), 3),
        model_calls_per_turn_max=max(per_turn),
        turns_without_model_call=round(share(sum(t.model_calls == 0 for t in turns)), 3),
        turns_routed_without_model=round(share(sum(not t.routed_by_model for t in turns)), 3),
        prompt_tokens_p50=percentile(prompt, 0.5),
        prompt_tokens_p95=percentile(prompt, 0.95),
        prompt_tokens_max=max(prompt, default=0),
        completion_tokens_p50=percentile(completion, 0.5),
        completion_tokens_p95=percentile(completion, 0.95),
        completion_tokens_max=max(completion, default=0),
        uncached_tokens_p50=percentile(uncached, 0.5),
        uncached_tokens_p95=percentile(uncached, 0.95),
        cached_share=round(1 - sum(uncached) / sum(prompt), 3) if sum(prompt) else 0.0,
        prefill_s=round(sum(c.prefill_s or 0.0 for c in calls), 2),
        generation_s=round(sum(c.generation_s or 0.0 for c in calls), 2),
        timeouts=sum(c.timed_out for c in calls),
        turn_wall_s_p50=round(percentile(walls, 0.5), 3),
        turn_wall_s_p95=round(percentile(walls, 0.95), 3),
        wall_s=round(sum(c.wall_s for c in cases), 2),
        perturbations=dict(Counter(p.kind for c in cases for p in c.perturbations)),
    )


TURN_WALL_TARGETS_S = {"pizzeria_agent": (3.0, 8.0), "ecommerce_agent": (4.0, 10.0)}
"""Issue 12's turn wall time targets on a 2-core CPU with the 1.5B model: (p50, p95) per agent."""


def targets(runs: list[Run]) -> list[Target]:
    """Issue 6's targets, measured on the runs present (and issue 12's for a real model). The
    e-commerce 85 % is about routing; the share of turns with no model call at all is listed
    next to it for the literal reading."""
    found: list[Target] = []
    for run in runs:
        s = run.summary
        rows: list[tuple[str, float, str, bool]] = []
        if run.suite == "conversations":
            right = round(sum(c.state_ok for c in run.cases) / max(len(run.cases), 1), 3)
            rows.append(("natural conversations with the right saved order", right, "≥ 90 %", right >= 0.9))
            rows += _real_model_rows(run)[1:] if run.mode == "model" else []
        elif run.mode == "sloppy":
            rate = round(s.succeeded / s.cases, 3) if s.cases else 0.0
            rows.append(("task success under sloppy mode", rate, "≥ 90 %", rate >= 0.9))
        else:
            rows.append(("model calls per turn (mean)", s.model_calls_per_turn_mean, "≤ 1.3", s.model_calls_per_turn_mean <= 1.3))
            rows.append(("prompt tokens per call (p95)", s.prompt_tokens_p95, "≤ 1500", s.prompt_tokens_p95 <= 1500))
            if run.mode == "model":
                rows += _real_model_rows(run)
            if run.agent == "ecommerce_agent":
                routed, silent = s.turns_routed_without_model, s.turns_without_model_call
                rows.append(("turns routed without a model call", routed, "≥ 85 %", routed >= 0.85))
                rows.append(("turns with no model call at all", silent, "≥ 85 %", silent >= 0.85))
        found += [Target(agent=run.agent, measure=m, value=v, target=t, met=ok) for m, v, t, ok in rows]
    return found


def _real_model_rows(run: Run) -> list[tuple[str, float, str, bool]]:
    """Issue 12's targets for a real model on a CPU."""
    s = run.summary
    right = sum(c.state_ok for c in run.cases) / max(len(run.cases), 1)
    p50, p95 = TURN_WALL_TARGETS_S.get(run.agent, (3.0, 8.0))
    return [
        ("conversations with the right final state", round(right, 3), "100 %", right == 1.0),
        ("turn wall time p50 (s)", s.turn_wall_s_p50, f"≤ {p50:g}", s.turn_wall_s_p50 <= p50),
        ("turn wall time p95 (s)", s.turn_wall_s_p95, f"≤ {p95:g}", s.turn_wall_s_p95 <= p95),
        ("uncached prompt tokens per call (p50)", s.uncached_tokens_p50, "≤ 100", s.uncached_tokens_p50 <= 100),
        ("model timeouts", s.timeouts, "0", s.timeouts == 0),
    ]
