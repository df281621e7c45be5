"""`python -m eval`: replay every eval set through the real agents and print the measurements."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile

os.environ.setdefault("LLM_MODEL", "scripted")


async def main() -> int:
    from eval.replay import load_cases, report, run_case
    from pizzeria_agent.agent import build_agent
    from tools.settings import get_settings

    results = []
    for eval_set, case in load_cases("pizzeria"):
        with tempfile.TemporaryDirectory() as data_dir:  # each case starts from the seed data
            os.environ["PIZZERIA_DATA_DIR"] = data_dir
            get_settings.cache_clear()
            results.append(await run_case(eval_set, case, build_agent, "pizzeria_agent"))
    print("## pizzeria_agent\n")
    print(report(results))
    for r in results:
        if not r.passed:
            print(f"\n{r.case_id}: trajectory {r.tool_calls} != {r.expected_calls}" if not r.trajectory_ok else "")
            for key, (got, want) in r.state_mismatches.items():
                print(f"{r.case_id}: state[{key!r}] = {got!r}, expected {want!r}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
