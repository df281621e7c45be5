"""`python -m eval`: replay every eval set through the real agents and print the measurements."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile

os.environ.setdefault("LLM_MODEL", "scripted")


def _print(title: str, results: list) -> None:  # type: ignore[type-arg]
    from eval.replay import report

    print(f"## {title}\n")
    print(report(results))
    for r in results:
        if not r.trajectory_ok:
            print(f"{r.case_id}: trajectory {r.tool_calls} != {r.expected_calls}")
        for key, (got, want) in r.state_mismatches.items():
            print(f"{r.case_id}: state[{key!r}] = {got!r}, expected {want!r}")
    print()


async def main() -> int:
    from ecommerce_agent.agent import build_agent as build_shop
    from eval.replay import load_cases, run_case
    from pizzeria_agent.agent import build_agent as build_pizzeria
    from tools.settings import get_settings
    from tools.shop import runtime

    pizzeria = []
    for eval_set, case in load_cases("pizzeria"):
        with tempfile.TemporaryDirectory() as data_dir:  # each case starts from the seed data
            os.environ["PIZZERIA_DATA_DIR"] = data_dir
            get_settings.cache_clear()
            pizzeria.append(await run_case(eval_set, case, build_pizzeria, "pizzeria_agent"))
    _print("pizzeria_agent", pizzeria)

    with tempfile.TemporaryDirectory() as shop_dir:  # a freshly seeded shop for the run
        os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{shop_dir}/shop.db"
        os.environ["CHROMA_PATH"] = f"{shop_dir}/chroma"
        get_settings.cache_clear()
        runtime.reset_runtime()
        shop = [await run_case(eval_set, case, build_shop, "ecommerce_agent") for eval_set, case in load_cases("ecommerce")]
        await runtime.dispose_runtime()
    _print("ecommerce_agent", shop)
    return 0 if all(r.passed for r in pizzeria + shop) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
