"""Prompt size per model call, per specialist of both agents, from the real requests ADK builds.

The scripted model records every `LlmRequest` it receives (system instruction, tool
declarations, contents), so the count covers exactly what a local model would read.
Tokens are cl100k (`tools.llm.tokens`). Two tables:

1. A realistic conversation per agent that reaches every specialist (the pizzeria with an
   order of 3 items; a shop customer mid-conversation), the largest call of each
   specialist broken down into: ADK's own text (agent identity), the instruction's fixed
   part, its state-derived part (the lines after the instruction's first, built from
   session state), the tool schemas, and the contents (the message and this turn's
   function calls and responses).
2. The same conversation read as a prefix cache reads it (llama.cpp's `cache_prompt`, Ollama's
   context reuse): per specialist, the static part (system instruction and tool schemas) and the
   changing part (contents), and the tokens each call leaves uncached: those after the longest
   prefix it shares with an earlier request of the conversation (an ideal cache that keeps
   every earlier request; a server with fewer slots can only do worse).
3. Every eval case of both agents replayed (`eval.replay`): calls, p50 / p95 / max per specialist.

Exits 1 when any request is over 2,048 tokens (the target is p95 <= 1,500).

    python -m benchmarks.prompt_size
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("LLM_MODEL", "scripted")

from google.adk.runners import InMemoryRunner
from google.genai import types

from benchmarks.turn_overhead import agent, pct, use_fresh_shop
from tools.llm.scripted import ScriptedLlm, View
from tools.llm.tokens import count_tokens
from tools.settings import TRIAL_MOMENT, get_settings

LIMIT = 2048
TARGET_P95 = 1500
_IDENTITY = "\n\nYou are an agent."  # where ADK's own text starts in a specialist's system instruction
_SCHEMAS = '{"function_declarations"'

REALISTIC = {
    "pizzeria": [  # a new customer; with the demo policy it reaches every specialist, with 3 items ordered
        "hola", "123", "me llamo Ana", "dos muzzas grandes y una fugazzeta chica, y una coca de litro y medio",
        "¿qué empanadas tienen?", "y otra coca de litro y medio", "eso es todo", "mmm", "eso es todo", "sí",
        "mandalo a lo de mi vieja", "Av. Corrientes 1234, 5° B", "efectivo",
    ],
    "ecommerce": [  # a customer mid-conversation; every specialist twice, so the second call can reuse the first's prefix
        "hola", "donde esta mi pedido #4581230", "que categorias tienen?", "y de audio que categorias hay?",
        "tienen notebook gamer con rtx 4060 hasta 3 millones?", "y algun celular samsung hasta 800 mil?",
        "que promociones tienen?", "hay promos en auriculares?", "mi notebook no prende, que hago?",
        "como hago para devolver un producto?", "necesito la factura del pedido 4581230",
        "cuando llega lo que compre?", "y la factura del 4581233?", "gracias!",
    ],
}


@dataclass
class Breakdown:
    """One request's tokens by part; `total` counts the whole prompt at once."""

    specialist: str
    framework: int
    instruction: int
    state: int
    tools: int
    contents: int
    total: int

    @classmethod
    def of(cls, view: View) -> Breakdown:
        instruction, identity, framework = view.system.partition(_IDENTITY)
        fixed, _, state = instruction.partition("\n")
        lines = view.prompt_text[len(view.system) + 1:].split("\n")
        schemas = [line for line in lines if line.startswith(_SCHEMAS)]
        contents = [line for line in lines if not line.startswith(_SCHEMAS)]
        return cls(
            specialist=specialist(view), framework=count_tokens(identity + framework), instruction=count_tokens(fixed),
            state=count_tokens(state), tools=count_tokens("\n".join(schemas)), contents=count_tokens("\n".join(contents)),
            total=view.prompt_tokens,
        )


def specialist(view: View) -> str:
    return view.agent or ("classifier" if not view.tools else "?")


async def realistic(agent_name: str) -> list[View]:
    """Play the realistic conversation on the scripted model; every request it received."""
    bench = agent(agent_name)
    root, model = bench.scripted()
    runner = InMemoryRunner(agent=root, app_name=f"bench_{agent_name}")
    user = bench.user()
    session = await runner.session_service.create_session(app_name=runner.app_name, user_id=user)
    for text in REALISTIC[agent_name]:
        message = types.Content(role="user", parts=[types.Part(text=text)])
        async for _ in runner.run_async(user_id=user, session_id=session.id, new_message=message):
            pass
    return model.requests


async def replayed(agent_name: str) -> list[View]:
    """Every request of every eval case of `agent_name`, replayed with its expected tool calls."""
    from eval.replay import load_cases, replay_policy, run_case

    views: list[View] = []
    for eval_set, case in load_cases(agent_name):
        if agent_name == "pizzeria":  # each case starts from the seed data
            os.environ["PIZZERIA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-pizzeria-")
            os.environ.setdefault("PIZZERIA_NOW", TRIAL_MOMENT)  # measured while the pizzeria is open
            get_settings.cache_clear()
        model = ScriptedLlm(policy=replay_policy(case))
        await run_case(eval_set, case, agent(agent_name).build, f"{agent_name}_agent", model=model)
        views += model.requests
    return views


def breakdown_table(by_agent: dict[str, list[View]]) -> list[str]:
    rows = ["| agent | specialist | calls | ADK text | instruction | state | tool schemas | contents | total (largest call) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for agent_name, views in by_agent.items():
        groups: dict[str, list[View]] = defaultdict(list)
        for view in views:
            groups[specialist(view)].append(view)
        for name, group in sorted(groups.items()):
            b = Breakdown.of(max(group, key=lambda v: v.prompt_tokens))
            rows.append(f"| {agent_name} | {name} | {len(group)} | {b.framework} | {b.instruction} | {b.state} | "
                        f"{b.tools} | {b.contents} | {b.total} |")
    return rows


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def uncached_tokens(views: list[View]) -> list[int]:
    """Per request, the tokens after the longest prefix it shares with any earlier request."""
    counts = []
    for n, view in enumerate(views):
        shared = max((_common_prefix(view.prompt_text, earlier.prompt_text) for earlier in views[:n]), default=0)
        counts.append(count_tokens(view.prompt_text[shared:]))
    return counts


def cache_table(by_agent: dict[str, list[View]]) -> list[str]:
    """Per specialist: its largest call split into the static and the changing part, and the uncached tokens
    of its first call (nothing of it in the cache yet) and of its later calls (p50)."""
    header = ("| agent | specialist | calls | static part (instruction + tool schemas) | changing part (state + contents) | "
              "total p50 / max | uncached, first call | uncached, later calls p50 / max |")
    rows = [header, "|---|---|---|---|---|---|---|---|"]
    for agent_name, views in by_agent.items():
        uncached = uncached_tokens(views)
        groups: dict[str, list[tuple[View, int]]] = defaultdict(list)
        for view, fresh in zip(views, uncached, strict=True):
            groups[specialist(view)].append((view, fresh))
        for name, group in sorted(groups.items()):
            b = Breakdown.of(max((v for v, _ in group), key=lambda v: v.prompt_tokens))
            totals, later = [v.prompt_tokens for v, _ in group], [f for _, f in group[1:]]
            warm = f"{pct(later, .5)} / {max(later)}" if later else "–"
            rows.append(f"| {agent_name} | {name} | {len(group)} | {b.framework + b.instruction + b.tools} | {b.state + b.contents} | "
                        f"{pct(totals, .5)} / {max(totals)} | {group[0][1]} | {warm} |")
    return rows


def percentile_table(by_agent: dict[str, list[View]]) -> list[str]:
    rows = ["| agent | specialist | calls | p50 | p95 | max |", "|---|---|---|---|---|---|"]
    for agent_name, views in by_agent.items():
        groups: dict[str, list[int]] = defaultdict(list)
        for view in views:
            groups[specialist(view)].append(view.prompt_tokens)
        for name, counts in sorted(groups.items()):
            rows.append(f"| {agent_name} | {name} | {len(counts)} | {pct(counts, .5)} | {pct(counts, .95)} | {max(counts)} |")
    return rows


async def main(agent_names: tuple[str, ...] = ("pizzeria", "ecommerce"), fresh_shop: bool = True, evals: bool = True) -> int:
    """Print both tables; 1 if any request is over `LIMIT` tokens. `fresh_shop=False` uses the configured shop."""
    os.environ["PIZZERIA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-pizzeria-")
    os.environ.setdefault("PIZZERIA_NOW", TRIAL_MOMENT)  # measured while the pizzeria is open
    get_settings.cache_clear()
    if "ecommerce" in agent_names and fresh_shop:
        await use_fresh_shop(Path(tempfile.mkdtemp(prefix="bench-shop-")))
    live = {name: await realistic(name) for name in agent_names}
    print("Realistic conversation, largest call per specialist (cl100k tokens):\n" + "\n".join(breakdown_table(live)))
    print("\nThe same conversation through a prefix cache (cl100k tokens):\n" + "\n".join(cache_table(live)))
    fresh = [n for views in live.values() for n in uncached_tokens(views)]
    print(f"uncached tokens per call (first calls included): p50 {pct(fresh, .5)}, p95 {pct(fresh, .95)}, max {max(fresh)}")
    every = [v.prompt_tokens for views in live.values() for v in views]
    if evals:
        replays = {name: await replayed(name) for name in agent_names}
        print("\nEval cases replayed (cl100k tokens per model call):\n" + "\n".join(percentile_table(replays)))
        every += [v.prompt_tokens for views in replays.values() for v in views]
    over = [n for n in every if n > LIMIT]
    print(f"\n{len(every)} model calls: p50 {pct(every, .5)}, p95 {pct(every, .95)} (target <= {TARGET_P95}), "
          f"max {max(every)}; over {TARGET_P95}: {sum(n > TARGET_P95 for n in every)}; over {LIMIT}: {len(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
