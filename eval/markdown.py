"""The evaluation report as Markdown (`to_markdown`), and both files written (`write_report`)."""

from __future__ import annotations

from pathlib import Path

from eval.report import CaseResult, Report, Run


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
    rows = [("| eval set | case | pass | trajectory (IN_ORDER) | state | turns | model calls per turn | turns w/o model call "
            "| turns routed by model | prompt/completion tokens per call | wall s |"),
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in run.cases:
        tokens = " ".join(f"{call.prompt_tokens}/{call.completion_tokens}" for t in c.turns for call in t.calls) or "—"
        rows.append(
            f"| {c.eval_set} | {c.case_id} | {_mark(c.passed)} | {c.trajectory_score:.2f} | {_mark(c.state_ok)} | "
            f"{len(c.turns)} | {_per_turn(c)} | {sum(t.model_calls == 0 for t in c.turns)} | "
            f"{sum(t.routed_by_model for t in c.turns)} | {tokens} | {c.wall_s:.2f} |"
        )
    return rows


def cost_rows(run: Run, label: str = "") -> list[str]:
    """Per conversation, what its model calls cost: the real-model tier's table."""
    rows = [("| agent | case | right final state | model calls | uncached prompt tokens | cached prompt tokens | "
            "prefill s | generation s | turn wall s | timeouts |"), "|---|---|---|---|---|---|---|---|---|---|"]
    for c in run.cases:
        k = c.cost
        walls = " ".join(f"{t.wall_s:.1f}" for t in c.turns)
        rows.append(f"| {label or run.agent} | {c.case_id} | {_mark(c.state_ok)} | {k.model_calls} | {k.uncached_tokens} | "
                    f"{k.cached_tokens} | {k.prefill_s:.1f} | {k.generation_s:.1f} | {walls} | {k.timeouts} |")
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
        f"uncached prompt tokens per call: p50 {s.uncached_tokens_p50:.0f}, p95 {s.uncached_tokens_p95:.0f} "
        f"(cached share {_pct(s.cached_share)}); prefill {s.prefill_s:.1f} s, generation {s.generation_s:.1f} s; "
        f"timeouts {s.timeouts}; "
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
    load = " ".join(f"{x:.2f}" for x in report.load_average)
    out = [(f"# Evaluation report\n\nmodel: `{report.model}` · tokens: {report.tokenizer} · {report.created_at} · "
           f"load average {load}\n"),
           "## Targets\n", "| agent | measure | value | target | met |", "|---|---|---|---|---|"]
    for t in report.targets:
        value = _pct(t.value) if "%" in t.target else f"{t.value:g}"
        out.append(f"| {t.agent} | {t.measure} | {value} | {t.target} | {_mark(t.met)} |")
    for run in report.runs:
        seeds = f" (seeds {', '.join(map(str, run.seeds))})" if run.seeds else ""
        suite = " — natural conversations" if run.suite == "conversations" else ""
        out += ["", f"## {run.agent} — {run.mode}{seeds}{suite}", "", *_case_rows(run), "", _summary_line(run)]
        if run.mode == "model":
            out += ["", "What each conversation's model calls cost (the server's own counts):", "", *cost_rows(run)]
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
