"""`python -m eval`: run every eval set of both agents and write the report.

    python -m eval [--agent pizzeria|ecommerce|all] [--model scripted|<litellm model string>]
                   [--suite evalsets|conversations|all] [--baseline] [--sloppy SEED[,SEED...]] [--out DIR]

Writes DIR/eval_report.json and DIR/eval_report.md (default DIR: .data/eval) and
prints the Markdown. Every case starts from fresh data: its own pizzeria data
directory, or its own copy of a shop database seeded once for the run. The exit
code is 1 when a case of the scripted replay fails; a real model's or the sloppy
model's results are informative. `--suite conversations` adds the natural pizzeria
conversations (`eval.conversations`), checked by the order saved; `--baseline` runs the
pizzeria's suites on the single-agent design this project replaces (`eval.baseline`).
See eval/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

os.environ.setdefault("LLM_MODEL", "scripted")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from google.adk.agents import BaseAgent
from google.adk.evaluation.eval_case import EvalCase
from google.adk.models.base_llm import BaseLlm

from eval.baseline import NAME, build_baseline
from eval.conversations import load_conversations, order_mismatch
from eval.markdown import to_markdown, write_report
from eval.replay import load_cases, replay_policy, run_case, token_source
from eval.report import CaseResult, Report, Run
from eval.sloppy import SloppyPolicy, differences_from_replay
from tools.llm.models import build_model
from tools.llm.preflight import require_model_server
from tools.llm.scripted import ScriptedLlm
from tools.settings import TRIAL_MOMENT, get_settings

AGENTS = {"pizzeria": "pizzeria_agent", "ecommerce": "ecommerce_agent"}
"""Eval directory -> app name."""

Fresh = Callable[[], AbstractAsyncContextManager[None]]


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables (and re-read settings) for a block, then restore them."""
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@contextlib.asynccontextmanager
async def fresh_pizzeria() -> AsyncIterator[None]:
    with tempfile.TemporaryDirectory() as data_dir, environment(
        PIZZERIA_DATA_DIR=data_dir, PIZZERIA_NOW=os.environ.get("PIZZERIA_NOW") or TRIAL_MOMENT,
    ):
        yield


@contextlib.asynccontextmanager
async def shop_copies() -> AsyncIterator[Fresh]:
    """A shop seeded once (database and Chroma index); each case then gets a copy of the database."""
    from tools.shop import runtime

    with tempfile.TemporaryDirectory() as root:
        template = Path(root) / "shop.db"
        shared = {"CHROMA_PATH": f"{root}/chroma", "CHROMA_URL": "", "CARRIER_API_URL": ""}
        with environment(DATABASE_URL=f"sqlite+aiosqlite:///{template}", **shared):
            runtime.reset_runtime()
            await runtime.get_index()
            await runtime.dispose_runtime()

        @contextlib.asynccontextmanager
        async def fresh() -> AsyncIterator[None]:
            copy = Path(tempfile.mkstemp(dir=root, suffix=".db")[1])
            shutil.copyfile(template, copy)
            with environment(DATABASE_URL=f"sqlite+aiosqlite:///{copy}", **shared):
                runtime.reset_runtime()
                try:
                    yield
                finally:
                    await runtime.dispose_runtime()
                    copy.unlink()

        yield fresh


def _builder(eval_dir: str) -> Callable[[BaseLlm], BaseAgent]:
    if eval_dir == "pizzeria":
        from pizzeria_agent.agent import build_agent
    else:
        from ecommerce_agent.agent import build_agent
    return build_agent


def agent_tools(eval_dir: str) -> list[str]:
    """Every tool name of the agent's specialists (sloppy mode calls another specialist's)."""
    if eval_dir == "pizzeria":
        from pizzeria_agent.agent import TOOLS
    else:
        from ecommerce_agent.agent import TOOLS
    return sorted({fn.__name__ for fns in TOOLS.values() for fn in fns})


def _model(case: EvalCase, model: str, seed: int | None, tools: Sequence[str] = (),
           demo: str | None = None) -> tuple[BaseLlm, SloppyPolicy | None]:
    if model != "scripted":
        return build_model(), None
    if demo is not None and seed is None:
        return build_model(demo), None
    if seed is None:
        return ScriptedLlm(policy=replay_policy(case)), None
    policy = build_model(demo).policy if demo is not None else replay_policy(case)  # type: ignore[attr-defined]
    sloppy = SloppyPolicy(policy, seed=f"{seed}:{case.eval_id}", tools=tools)
    return ScriptedLlm(policy=sloppy), sloppy


def saved_orders() -> list[dict[str, Any]]:
    """Items and total of each order saved in this case's pizzeria data directory."""
    path = Path(get_settings().pizzeria_data_dir) / "pedidos.json"
    orders = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    return [{"items": sorted([i["item_id"], i["size"], i["quantity"]] for i in o["items"]), "total": o["total"]} for o in orders]


Case = tuple[str, EvalCase, list[list[Any]] | None]
"""(eval set or suite name, case, the order a conversation must save; None: the case's own state check)."""


def _suite_cases(eval_dir: str, suite: str) -> tuple[list[Case], list[Case]]:
    """(eval-set cases, natural conversations) of the agent for `suite`."""
    sets: list[Case] = [(s, c, None) for s, c in load_cases(eval_dir)] if suite in ("evalsets", "all") else []
    talks: list[Case] = list(load_conversations()) if suite in ("conversations", "all") and eval_dir == "pizzeria" else []
    return sets, talks


async def run_agent(eval_dir: str, model: str = "scripted", seeds: Sequence[int] = (), suite: str = "evalsets",
                    baseline: bool = False) -> list[Run]:
    """The agent's runs: replay (or the real model), sloppy mode over `seeds`, the conversations.

    A sloppy case is also held to what the clean replay of the same case did
    (`differences_from_replay`), since some final states do not check every item.
    """
    app, build = AGENTS[eval_dir], (build_baseline if baseline else _builder(eval_dir))
    label = NAME if baseline else app
    sets, talks = _suite_cases(eval_dir, suite)
    mode = "replay" if model == "scripted" else "model"
    main = Run(agent=label, mode=mode, model=model, cases=[])
    sloppy = Run(agent=label, mode="sloppy", model="scripted (sloppy)", seeds=list(seeds), cases=[])
    spoken = Run(agent=label, mode=mode, model=model, suite="conversations", cases=[])
    replayed: dict[str, CaseResult] = {}
    demo = f"{app}.demo_policy:demo_policy"
    if mode == "model" and get_settings().llm_slots and not baseline:
        await _warm_up(app, build)
    async with (shop_copies() if eval_dir == "ecommerce" else contextlib.nullcontext(fresh_pizzeria)) as fresh:
        plan = [(seed, c) for seed in [None, *seeds] for c in sets] + [(seed, c) for seed in [None, *seeds] for c in talks]
        for seed, (eval_set, case, order) in plan:
            async with fresh():
                llm, policy = _model(case, model, seed, agent_tools(eval_dir), demo if order is not None else None)
                result = await run_case(eval_set, case, build, app, llm, mode="sloppy" if policy else mode, seed=seed)
                result.saved_orders = saved_orders() if eval_dir == "pizzeria" else []
            _progress(label, result, order)
            if order is not None:  # a conversation: the saved order is the check, sloppy or not
                result.state_mismatches |= order_mismatch(result.saved_orders, order)
                if policy is not None:
                    result.perturbations = policy.perturbations
                (spoken if policy is None else sloppy).cases.append(result)
            elif policy is None:
                main.cases.append(result)
                replayed[case.eval_id] = result
            else:
                result.perturbations = policy.perturbations
                result.state_mismatches |= differences_from_replay(result, replayed[case.eval_id])
                sloppy.cases.append(result)
    return [run for run in (main, sloppy, spoken) if run.cases]


async def _warm_up(app: str, build: Any) -> None:
    """Each specialist's fixed prefix into its slot before the first case, as the service does at start."""
    from tools.llm.warmup import warm_up  # imports LiteLLM: only with a real model

    started = time.perf_counter()
    costs = await warm_up(build(build_model()), app)
    prefill = sum((c.prefill_s or 0) for c in costs.values() if c)
    print(f"[eval] {app}: {len(costs)} specialists warmed in {time.perf_counter() - started:.1f} s "
          f"({prefill:.1f} s of prefill no customer waits for)", file=sys.stderr, flush=True)


def _progress(agent: str, result: CaseResult, order: list[list[Any]] | None) -> None:
    """One line per case on stderr (a real model's run takes minutes)."""
    right = (order_mismatch(result.saved_orders, order) == {}) if order is not None else result.state_ok
    seed = f" seed {result.seed}" if result.seed is not None else ""
    print(f"[eval] {agent} {result.case_id}{seed}: {'right' if right else 'WRONG'} final state, "
          f"{sum(t.model_calls for t in result.turns)} model calls, {result.wall_s:.1f} s", file=sys.stderr, flush=True)


async def evaluate(eval_dirs: Sequence[str], model: str = "scripted", seeds: Sequence[int] = (), suite: str = "evalsets",
                   baseline: bool = False) -> Report:
    runs = [run for eval_dir in eval_dirs for run in await run_agent(eval_dir, model, seeds, suite, baseline)]
    counted = "cl100k_base (LiteLLM's bundled copy)" if token_source() == "cl100k" else "estimate: characters / 3.5"
    tokenizer = counted if model == "scripted" else f"the server's own counts where given, else {counted}"
    return Report(model=model, tokenizer=tokenizer, runs=runs)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval", description="Run the eval sets of both agents and report.")
    parser.add_argument("--agent", choices=["pizzeria", "ecommerce", "all"], default="all")
    parser.add_argument("--model", default="scripted",
                        help="'scripted' (replay) or a LiteLLM model string, e.g. ollama_chat/qwen2.5:7b")
    parser.add_argument("--suite", choices=["evalsets", "conversations", "all"], default="evalsets",
                        help="the eval sets, the natural pizzeria conversations, or both")
    parser.add_argument("--baseline", action="store_true",
                        help="the pizzeria's suites on one LlmAgent with every tool (the design this replaces)")
    parser.add_argument("--sloppy", default="", metavar="SEED[,SEED...]",
                        help="also run the sloppy scripted model with these seeds")
    parser.add_argument("--out", type=Path, default=Path(".data/eval"), help="directory for eval_report.json and eval_report.md")
    args = parser.parse_args(argv)
    try:
        args.seeds = [int(s) for s in args.sloppy.split(",") if s.strip()]
    except ValueError:
        parser.error("--sloppy takes integer seeds, e.g. --sloppy 1,2,3,4,5")
    if args.seeds and args.model != "scripted":
        parser.error("--sloppy perturbs the scripted model; run it without --model")
    if args.baseline and (args.model == "scripted" or args.agent == "ecommerce"):
        parser.error("--baseline is the pizzeria on a real model: give --model (and --agent pizzeria or all)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    eval_dirs = ["pizzeria"] if args.baseline else list(AGENTS) if args.agent == "all" else [args.agent]
    with environment(LLM_MODEL=args.model):
        require_model_server(get_settings())  # a real model's server: checked before any case runs
        report = asyncio.run(evaluate(eval_dirs, args.model, args.seeds, args.suite, args.baseline))
    json_path, md_path = write_report(report, args.out)
    print(to_markdown(report))
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
    replayed = [c for run in report.runs if run.mode == "replay" and run.suite == "eval sets" for c in run.cases]
    return 1 if any(not c.passed for c in replayed) else 0


if __name__ == "__main__":
    sys.exit(main())
