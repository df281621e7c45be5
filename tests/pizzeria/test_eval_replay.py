"""The ADK eval sets in eval/pizzeria/ load with ADK's own loader, and replaying each
case's expected tool calls through the real agent reaches the expected final state."""

from __future__ import annotations

import json

import pytest
from google.adk.evaluation.eval_config import EvalConfig

from eval.replay import EVAL_DIR, expected_turns, load_cases, run_case
from pizzeria_agent.agent import build_agent
from tests.chat import saved_orders

CASES = load_cases("pizzeria")


def test_eval_sets_cover_every_kind_of_repair() -> None:
    assert {eval_set for eval_set, _ in CASES} == {"happy_path", "corrections", "digressions", "cancellations", "invalid_input"}
    EvalConfig.model_validate(json.loads((EVAL_DIR / "pizzeria" / "test_config.json").read_text()))


@pytest.mark.parametrize(("eval_set", "case"), CASES, ids=[case.eval_id for _, case in CASES])
async def test_replayed_case_reaches_its_final_state(eval_set, case) -> None:
    result = await run_case(eval_set, case, build_agent, "pizzeria_agent")
    made = [[(c.name, c.args) for c in turn.tool_calls] for turn in result.turns]
    assert made == [calls for _, calls in expected_turns(case)], "exactly the expected calls, in order"
    assert result.state_mismatches == {}
    assert result.passed and result.trajectory_score == 1.0
    calls = [call for turn in result.turns for call in turn.calls]
    assert all(c.token_source == "cl100k" and c.prompt_tokens > 0 and c.completion_tokens > 0 for c in calls)
    assert max((c.prompt_tokens for c in calls), default=0) <= 2048, "every request fits a 2k context"
    if "last_order_id" in (case.final_session_state or {}):
        assert [o["order_id"] for o in saved_orders()] == [case.final_session_state["last_order_id"]]


async def test_model_calls_are_counted_per_turn() -> None:
    """Items code reads: no model call; an item the menu does not have: the order specialist, then its answer."""
    eval_set, case = next((s, c) for s, c in CASES if c.eval_id == "producto_que_no_existe")
    result = await run_case(eval_set, case, build_agent, "pizzeria_agent")
    assert [turn.user_text for turn in result.turns] == ["hola", "una pizza hawaiana", "entonces una margarita chica"]
    assert [turn.model_calls for turn in result.turns] == [0, 2, 0]
    add = next(c for c in result.turns[1].calls if not c.routing)
    assert (add.agent, add.routing) == ("order_agent", False)
    assert result.turns[1].outcome == ["add_item_to_order:failed"]
