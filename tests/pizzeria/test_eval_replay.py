"""The ADK eval sets in eval/pizzeria/ load with ADK's own loader, and replaying each
case's expected tool calls through the real agent reaches the expected final state."""

from __future__ import annotations

import json

import pytest
from google.adk.evaluation.eval_config import EvalConfig

from eval.replay import EVAL_DIR, load_cases, run_case
from pizzeria_agent.agent import build_agent
from tests.chat import saved_orders

CASES = load_cases("pizzeria")


def test_eval_sets_cover_every_kind_of_repair() -> None:
    assert {eval_set for eval_set, _ in CASES} == {"happy_path", "corrections", "digressions", "cancellations", "invalid_input"}
    EvalConfig.model_validate(json.loads((EVAL_DIR / "pizzeria" / "test_config.json").read_text()))


@pytest.mark.parametrize(("eval_set", "case"), CASES, ids=[case.eval_id for _, case in CASES])
async def test_replayed_case_reaches_its_final_state(eval_set, case) -> None:
    result = await run_case(eval_set, case, build_agent, "pizzeria_agent")
    assert result.tool_calls == result.expected_calls
    assert result.state_mismatches == {}
    assert max(result.prompt_tokens, default=0) <= 2048, "every request fits a 2k context"
    if "last_order_id" in (case.final_session_state or {}):
        assert [o["order_id"] for o in saved_orders()] == [case.final_session_state["last_order_id"]]
