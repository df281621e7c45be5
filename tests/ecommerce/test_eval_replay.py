"""The shop's ADK eval sets load with ADK's loader, and replaying each case's expected tool
calls through the real supervisor, specialists and seeded shop reaches the expected state."""

from __future__ import annotations

import json

import pytest
from google.adk.evaluation.eval_config import EvalConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from ecommerce_agent.agent import build_agent
from eval.replay import EVAL_DIR, expected_turns, load_cases, run_case

CASES = load_cases("ecommerce")


def test_eval_sets_cover_every_specialist_and_multi_intent() -> None:
    assert {eval_set for eval_set, _ in CASES} == {
        "category_agent", "product_agent", "promotions_agent", "tracking_agent", "support_agent", "invoice_agent", "multi_intent",
    }
    EvalConfig.model_validate(json.loads((EVAL_DIR / "ecommerce" / "test_config.json").read_text()))


@pytest.mark.parametrize(("eval_set", "case"), CASES, ids=[case.eval_id for _, case in CASES])
async def test_replayed_case_reaches_its_final_state(shop: AsyncEngine, eval_set, case) -> None:
    result = await run_case(eval_set, case, build_agent, "ecommerce_agent")
    made = [[(c.name, c.args) for c in turn.tool_calls] for turn in result.turns]
    assert made == [calls for _, calls in expected_turns(case)]
    assert result.state_mismatches == {}
    assert result.passed
    assert max((c.prompt_tokens for t in result.turns for c in t.calls), default=0) <= 2048
    assert not any(t.routed_by_model for t in result.turns), "the router places every eval message without the model"


async def test_tracking_turn_costs_no_model_call(shop: AsyncEngine) -> None:
    eval_set, case = next((s, c) for s, c in CASES if c.eval_id == "donde_esta_mi_pedido")
    result = await run_case(eval_set, case, build_agent, "ecommerce_agent")
    [turn] = result.turns
    assert turn.calls == [], "routed by rules, the order number settles the call, the tool's message is the answer"
    assert turn.outcome == ["track_order:ok"]
    assert "4581230" in turn.reply
