"""The evaluation report: what each run measured, its summary, the targets, and the writers.

- `CallRecord`: one model call: prompt and completion tokens (and where the counts
  come from), wall time, and whether it was a coordinator's routing classification.
- `TurnRecord`: one customer turn: tool calls made and expected, model calls, reply.
- `CaseResult`: one conversation, with its final-state check and, in sloppy mode,
  the perturbations the model made.
- `Run`: every case of one agent in one mode ("replay": scripted, "sloppy": the
  scripted model perturbed over seeds, "model": a real model) and its `Summary`.
- `Report`: the runs and the issue's targets; `write_report` saves it as
  `eval_report.json` and `eval_report.md` (the Markdown is `to_markdown`).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from tools.llm.replies import MODEL_DOWN, TOO_MANY_CALLS
from tools.text import normalize

Mode = Literal["replay", "sloppy", "model"]


class ToolCall(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class CallRecord(BaseModel):
    agent: str  # the specialist asking, "" for a coordinator's classification call
    routing: bool  # a coordinator asked the model to classify the message
    prompt_tokens: int
    completion_tokens: int
    token_source: Literal["usage", "cl100k", "estimate"]  # the server's own count, or ours
    wall_s: float
    error: str | None = None


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
    turn_wall_s_p50: float
    turn_wall_s_p95: float
    wall_s: float
    perturbations: dict[str, int]


class Run(BaseModel):
    agent: str
    mode: Mode
    model: str
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
        turn_wall_s_p50=round(percentile(walls, 0.5), 3),
        turn_wall_s_p95=round(percentile(walls, 0.95), 3),
        wall_s=round(sum(c.wall_s for c in cases), 2),
        perturbations=dict(Counter(p.kind for c in cases for p in c.perturbations)),
    )


def targets(runs: list[Run]) -> list[Target]:
    """Issue 6's targets, measured on the runs present. The e-commerce 85 % is about routing;
    the share of turns with no model call at all is listed next to it for the literal reading."""
    found: list[Target] = []
    for run in runs:
        s = run.summary
        rows: list[tuple[str, float, str, bool]] = []
        if run.mode == "sloppy":
            rate = round(s.succeeded / s.cases, 3) if s.cases else 0.0
            rows.append(("task success under sloppy mode", rate, "≥ 90 %", rate >= 0.9))
        else:
            rows.append(("model calls per turn (mean)", s.model_calls_per_turn_mean, "≤ 1.3", s.model_calls_per_turn_mean <= 1.3))
            rows.append(("prompt tokens per call (p95)", s.prompt_tokens_p95, "≤ 1500", s.prompt_tokens_p95 <= 1500))
            if run.agent == "ecommerce_agent":
                routed, silent = s.turns_routed_without_model, s.turns_without_model_call
                rows.append(("turns routed without a model call", routed, "≥ 85 %", routed >= 0.85))
                rows.append(("turns with no model call at all", silent, "≥ 85 %", silent >= 0.85))
        found += [Target(agent=run.agent, measure=m, value=v, target=t, met=ok) for m, v, t, ok in rows]
    return found


# --------------------------------------------------------------------------- writers


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _mark(ok: bool) -> str:
    return "✔" if ok else "✘"


def _per_turn(case: CaseResult) -> str:
    return "·".join(str(t.model_calls) for t in case.turns)


def _case_rows(run: Run) -> list[str]:
    if run.mode == "sloppy":
        rows = ["| seed | eval set | case | success | state | asked when stuck | perturbations | model calls per turn | wall s |",
                "|---|---|---|---|---|---|---|---|---|"]
        for c in run.cases:
            kinds = ", ".join(f"{p.kind}({p.tool})" for p in c.perturbations) or "—"
            rows.append(f"| {c.seed} | {c.eval_set} | {c.case_id} | {_mark(c.success)} | {_mark(c.state_ok)} | "
                        f"{_mark(any(t.asked for t in c.turns))} | {kinds} | {_per_turn(c)} | {c.wall_s:.2f} |")
        return rows
    rows = ["| eval set | case | pass | trajectory (IN_ORDER) | state | turns | model calls per turn | turns w/o model call "
            "| turns routed by model | prompt/completion tokens per call | wall s |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in run.cases:
        tokens = " ".join(f"{call.prompt_tokens}/{call.completion_tokens}" for t in c.turns for call in t.calls) or "—"
        rows.append(
            f"| {c.eval_set} | {c.case_id} | {_mark(c.passed)} | {c.trajectory_score:.2f} | {_mark(c.state_ok)} | "
            f"{len(c.turns)} | {_per_turn(c)} | {sum(t.model_calls == 0 for t in c.turns)} | "
            f"{sum(t.routed_by_model for t in c.turns)} | {tokens} | {c.wall_s:.2f} |"
        )
    return rows


def _summary_line(run: Run) -> str:
    s = run.summary
    head = (f"{s.succeeded}/{s.cases} succeed ({s.succeeded / max(s.cases, 1):.0%}), final state right in "
            f"{sum(c.state_ok for c in run.cases)}/{s.cases}; perturbations: "
            + (", ".join(f"{k} {n}" for k, n in sorted(s.perturbations.items())) or "none")
            if run.mode == "sloppy" else f"{s.passed}/{s.cases} cases pass")
    return (
        f"{head}; {s.turns} turns; model calls per turn: mean {s.model_calls_per_turn_mean:.2f}, "
        f"max {s.model_calls_per_turn_max}; turns with no model call: {_pct(s.turns_without_model_call)}; "
        f"turns routed without a model call: {_pct(s.turns_routed_without_model)}; prompt tokens per call: "
        f"p50 {s.prompt_tokens_p50:.0f}, p95 {s.prompt_tokens_p95:.0f}, max {s.prompt_tokens_max}; "
        f"completion tokens per call: p50 {s.completion_tokens_p50:.0f}, p95 {s.completion_tokens_p95:.0f}; "
        f"wall per turn: p50 {s.turn_wall_s_p50:.2f} s, p95 {s.turn_wall_s_p95:.2f} s; total {s.wall_s:.1f} s"
    )


def _failures(run: Run) -> list[str]:
    lines = []
    for c in run.cases:
        if (c.success if run.mode == "sloppy" else c.passed):
            continue
        tag = f"{c.case_id}" + (f" (seed {c.seed})" if c.seed is not None else "")
        for n, t in enumerate(c.turns):
            if not t.in_order and run.mode != "sloppy":
                lines.append(f"- {tag}, turn {n}: tools {[(x.name, x.args) for x in t.tool_calls]} "
                             f"!= expected {[(x.name, x.args) for x in t.expected_calls]}")
        for key, m in c.state_mismatches.items():
            lines.append(f"- {tag}: state[{key!r}] = {m.got!r}, expected {m.want!r}")
    return lines


def to_markdown(report: Report) -> str:
    out = [f"# Evaluation report\n\nmodel: `{report.model}` · tokens: {report.tokenizer} · {report.created_at}\n",
           "## Targets\n", "| agent | measure | value | target | met |", "|---|---|---|---|---|"]
    for t in report.targets:
        value = _pct(t.value) if "%" in t.target else f"{t.value:g}"
        out.append(f"| {t.agent} | {t.measure} | {value} | {t.target} | {_mark(t.met)} |")
    for run in report.runs:
        seeds = f" (seeds {', '.join(map(str, run.seeds))})" if run.seeds else ""
        out += ["", f"## {run.agent} — {run.mode}{seeds}", "", *_case_rows(run), "", _summary_line(run)]
        failures = _failures(run)
        if failures:
            out += ["", *failures]
    return "\n".join(out) + "\n"


def write_report(report: Report, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "eval_report.json", directory / "eval_report.md"
    json_path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    md_path.write_text(to_markdown(report), encoding="utf-8")
    return json_path, md_path
