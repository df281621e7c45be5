"""The sloppy model's shop mistakes (eval/sloppy.py, `SHOP_WEIGHTS`), each made on every call it applies to:
the shop absorbs each one, so the turn reads exactly as the clean replay's and the final state is right."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from ecommerce_agent.agent import build_agent
from eval.replay import load_cases, replay_policy, run_case
from eval.report import CaseResult
from eval.sloppy import (
    SHOP_WEIGHTS,
    SloppyPolicy,
    differences_from_replay,
    shop_variants,
)
from tests.shop_runtime import shop_runtime_on
from tools.llm.scripted import ScriptedLlm

CASES = {case.eval_id: (eval_set, case) for eval_set, case in load_cases("ecommerce")}
APP = "ecommerce_agent"


def test_each_shop_mistake_is_the_one_a_real_model_made() -> None:
    assert shop_variants("my_promotions", {}, "hay promos en auriculares?") == {
        "coupon_unasked": ("redeem_coupon_code", {"code": "BIENVENIDA10"})}
    assert shop_variants("my_recent_orders", {}, "cuando llega?") == {
        "staff_tool": ("lookup_any_order", {"order_number": "4581231"})}
    assert shop_variants("search_catalog", {"query": "notebook"}, "notebook por menos de 1.500 lucas") == {
        "min_for_max": ("search_catalog", {"query": "notebook", "min_price": "1500000"})}
    assert shop_variants("search_catalog", {"query": "auris"}, "auris por menos de 100 dólares") == {
        "pesos_for_dollars": ("search_catalog", {"query": "auris", "max_price": "100"})}
    assert shop_variants("search_catalog", {"query": "auris"}, "unos auris") == {}


@pytest.mark.parametrize(("case_id", "kind"), [
    ("promos_y_cupon", "coupon_unasked"), ("seguimiento_factura_y_promos", "coupon_unasked"),
    ("cuando_llega_lo_que_compre", "staff_tool"), ("notebook_hasta_1500_lucas", "min_for_max"),
    ("auriculares_en_dolares", "pesos_for_dollars"),
])
async def test_the_shop_absorbs_each_mistake(template: dict[str, Path], tmp_path: Path, case_id: str, kind: str) -> None:
    eval_set, case = CASES[case_id]

    async def fresh(name: str, run: Callable[[], Awaitable[CaseResult]]) -> CaseResult:
        """`run` on its own copy of the seeded shop, as `python -m eval` runs every case."""
        db = tmp_path / f"{name}.db"
        shutil.copyfile(template["db"], db)
        with pytest.MonkeyPatch.context() as mp:
            async with shop_runtime_on(mp, f"sqlite+aiosqlite:///{db}", template["chroma"]):
                return await run()

    clean = await fresh("clean", lambda: run_case(eval_set, case, build_agent, APP))
    sloppy = SloppyPolicy(replay_policy(case), seed=1, rate=1.0, kinds=(kind,))
    result = await fresh("sloppy", lambda: run_case(eval_set, case, build_agent, APP, ScriptedLlm(policy=sloppy),
                                                    mode="sloppy", seed=1))
    result.perturbations = sloppy.perturbations
    assert [p.kind for p in sloppy.perturbations] and {p.kind for p in sloppy.perturbations} == {kind} <= set(SHOP_WEIGHTS)
    assert result.state_mismatches == {} and differences_from_replay(result, clean) == {}
