"""The shop's ADK eval sets load with ADK's loader, and replaying each case's expected tool
calls through the real supervisor, specialists and seeded shop reaches the expected state."""

from __future__ import annotations

import json

import pytest
from google.adk.evaluation.eval_config import EvalConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from ecommerce_agent.agent import build_agent
from eval.replay import EVAL_DIR, load_cases, run_case

CASES = load_cases("ecommerce")


def test_eval_sets_cover_every_specialist_and_multi_intent() -> None:
    assert {eval_set for eval_set, _ in CASES} == {
        "category_agent", "product_agent", "promotions_agent", "tracking_agent", "support_agent", "invoice_agent", "multi_intent",
    }
    EvalConfig.model_validate(json.loads((EVAL_DIR / "ecommerce" / "test_config.json").read_text()))


@pytest.mark.parametrize(("eval_set", "case"), CASES, ids=[case.eval_id for _, case in CASES])
async def test_replayed_case_reaches_its_final_state(shop: AsyncEngine, eval_set, case) -> None:
    result = await run_case(eval_set, case, build_agent, "ecommerce_agent")
    assert result.tool_calls == result.expected_calls
    assert result.state_mismatches == {}
    assert max(result.prompt_tokens, default=0) <= 2048
