"""`python -m eval`: the report lists every case with every measure, sloppy mode really
perturbs the calls and the bots still succeed, and a real model's calls are metered with
the server's own token counts."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import eval.__main__ as cli
from eval.__main__ import evaluate
from eval.replay import expected_turns, load_cases, replay_policy, run_case
from eval.report import Report, is_clarifying_question, write_report
from eval.sloppy import KINDS, QUANTITY_WORDS, SIZE_WORDS, SloppyPolicy, misspell
from pizzeria_agent.agent import build_agent as build_pizzeria
from tests.fake_ollama import FakeOllama
from tools.llm.models import build_model
from tools.llm.replies import TOO_MANY_CALLS
from tools.llm.scripted import ScriptedLlm
from tools.pizzeria.quantities import parse_quantity
from tools.pizzeria.resolver import resolve_line
from tools.settings import get_settings

SEEDS = (1, 2, 3, 4, 5)
CASE_FIELDS = {"agent", "eval_set", "case_id", "mode", "seed", "turns", "state_mismatches", "perturbations", "saved_orders",
               "wall_s", "trajectory_score", "state_ok", "passed", "success"}
TURN_FIELDS = {"user_text", "reply", "tool_calls", "expected_calls", "outcome", "calls", "wall_s", "model_calls",
               "routed_by_model", "in_order", "asked", "tool_failed"}
CALL_FIELDS = {"agent", "routing", "prompt_tokens", "completion_tokens", "token_source", "wall_s", "error"}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, dict[str, Any], str]:
    """Both agents, replay and five sloppy seeds, written to disk as `python -m eval` does."""
    report = asyncio.run(evaluate(["pizzeria", "ecommerce"], seeds=SEEDS))
    json_path, md_path = write_report(report, tmp_path_factory.mktemp("eval"))
    return report, json.loads(json_path.read_text(encoding="utf-8")), md_path.read_text(encoding="utf-8")


def _expected_rows(eval_dir: str, mode: str) -> list[tuple[int | None, str]]:
    cases = [case.eval_id for _, case in load_cases(eval_dir)]
    return [(None, c) for c in cases] if mode == "replay" else [(s, c) for s in SEEDS for c in cases]


def test_report_json_has_every_field_for_every_case(written) -> None:
    _, data, _ = written
    assert [(r["agent"], r["mode"]) for r in data["runs"]] == [
        ("pizzeria_agent", "replay"), ("pizzeria_agent", "sloppy"), ("ecommerce_agent", "replay"), ("ecommerce_agent", "sloppy")]
    for run in data["runs"]:
        eval_dir = run["agent"].removesuffix("_agent")
        assert [(c["seed"], c["case_id"]) for c in run["cases"]] == _expected_rows(eval_dir, run["mode"])
        texts = {case.eval_id: [text for text, _ in expected_turns(case)] for _, case in load_cases(eval_dir)}
        for case in run["cases"]:
            assert CASE_FIELDS <= case.keys()
            assert [t["user_text"] for t in case["turns"]] == texts[case["case_id"]]
            for turn in case["turns"]:
                assert TURN_FIELDS <= turn.keys()
                assert turn["model_calls"] == len(turn["calls"]) and turn["wall_s"] >= 0
                for call in turn["calls"]:
                    assert CALL_FIELDS <= call.keys()
                    assert call["token_source"] == "cl100k" and call["prompt_tokens"] > 0 and call["completion_tokens"] > 0
        if run["mode"] == "replay":
            assert all(c["passed"] for c in run["cases"]), "the scripted replay passes every case"
        assert run["summary"]["cases"] == len(run["cases"]) and run["summary"]["turns"] > 0
    assert {(t["agent"], t["measure"]) for t in data["targets"]} >= {
        ("ecommerce_agent", "turns routed without a model call"), ("pizzeria_agent", "task success under sloppy mode")}


def test_markdown_table_lists_every_case(written) -> None:
    report, _, markdown = written
    sections = markdown.split("\n## ")[2:]  # after the title and the targets
    assert len(sections) == len(report.runs)
    for run, section in zip(report.runs, sections, strict=True):
        assert section.startswith(f"{run.agent} — {run.mode}")
        rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith(("| eval set", "| seed"))]
        for seed, case_id in _expected_rows(run.agent.removesuffix("_agent"), run.mode):
            prefix = "| " if seed is None else f"| {seed} | "
            assert sum(row.startswith(prefix) and f"| {case_id} |" in row for row in rows) == 1, (seed, case_id)


def test_sloppy_mode_really_perturbs_the_calls(written) -> None:
    report, _, _ = written
    sloppy = [c for run in report.runs if run.mode == "sloppy" for c in run.cases]
    settled = {"order_number"}  # every turn with an order number is settled by code from the customer's words: no model call
    assert {p.kind for c in sloppy for p in c.perturbations} == set(KINDS) - settled
    for case in sloppy:
        made = [(call.name, call.args) for turn in case.turns for call in turn.tool_calls]
        for p in case.perturbations:
            sent = (p.sent.name, p.sent.args)
            if p.kind == "repeated_call":
                assert made.count(sent) >= 2
            elif p.kind in ("coupon_unasked", "staff_tool"):  # the shop holds the choice before it runs: the right call ran
                assert (p.tool, p.before) in made, (case.case_id, p)
            else:
                assert sent != (p.tool, p.before) and sent in made, (case.case_id, p)
    off_script = [t for c in sloppy for t in c.turns if not t.in_order]
    assert len(off_script) >= 20, "the agents received calls other than the expected ones"


def test_sloppy_mode_still_succeeds_nine_times_in_ten(written) -> None:
    report, _, _ = written
    for run in report.runs:
        if run.mode == "sloppy":
            assert run.summary.succeeded / run.summary.cases >= 0.9, run.agent


async def test_an_unknown_tool_name_does_not_crash_the_turn() -> None:
    eval_set, case = next((s, c) for s, c in load_cases("pizzeria") if c.eval_id == "cambiar_tamano_y_sacar")
    policy = SloppyPolicy(replay_policy(case), seed=3, rate=1.0, kinds=("unknown_tool",))
    result = await run_case(eval_set, case, build_pizzeria, "pizzeria_agent", ScriptedLlm(policy=policy), mode="sloppy")
    assert len(policy.perturbations) == 4 and all(p.kind == "unknown_tool" for p in policy.perturbations)
    made = {call.name for turn in result.turns for call in turn.tool_calls}
    assert {p.sent.name for p in policy.perturbations} <= made, "the made-up names reached the agent"
    assert all(turn.reply for turn in result.turns) and TOO_MANY_CALLS not in " ".join(t.reply for t in result.turns)
    assert result.state_mismatches == {}, "told the tool does not exist, the model retried and the order is right"


async def test_a_repeated_add_in_one_batch_adds_the_item_once() -> None:
    eval_set, case = next((s, c) for s, c in load_cases("pizzeria") if c.eval_id == "pregunta_por_el_menu_a_mitad_del_pedido")
    policy = SloppyPolicy(replay_policy(case), seed=1, rate=1.0, kinds=("repeated_call",))
    result = await run_case(eval_set, case, build_pizzeria, "pizzeria_agent", ScriptedLlm(policy=policy), mode="sloppy")
    assert [p.kind for p in policy.perturbations] == ["repeated_call"] * 3
    assert result.state_mismatches == {}


@pytest.mark.parametrize(("canonical", "item", "size_id"), [
    ("grande", "muzza", "grande"), ("chica", "fugazzeta", "chica"), ("mediana", "calabresa", "mediana"),
    ("1,5 L", "coca", "1.5l"), ("unidad", "empanada de carne", "unidad"), ("docena", "empanada de carne", "docena"),
])
def test_every_sloppy_size_word_is_understood(canonical: str, item: str, size_id: str) -> None:
    for written_size in SIZE_WORDS[canonical]:
        [line] = resolve_line(item, 1, written_size)
        assert line.size == size_id, written_size


def test_every_sloppy_quantity_word_is_understood() -> None:
    for number, words in QUANTITY_WORDS.items():
        assert [parse_quantity(w) for w in words] == [number] * len(words)


def test_misspell_drops_or_swaps_one_inner_letter() -> None:
    rng = random.Random(0)
    typos = {misspell("muzzarella", rng) for _ in range(30)}
    assert "muzzarella" not in typos and {len(t) for t in typos} == {9, 10}, "both drops and swaps happen"
    for typo in typos:
        assert typo[0] == "m"
        if len(typo) == 10:
            assert sorted(typo) == sorted("muzzarella") and sum(a != b for a, b in zip(typo, "muzzarella")) == 2
        else:
            assert not Counter(typo) - Counter("muzzarella")
    assert misspell("coca cola", rng) is None, "no word long enough to misspell"


@pytest.mark.parametrize(("text", "asks"), [
    ("Coca-Cola viene en: 500 ml o 1,5 L. ¿Cuál querés?", True),
    ("Decime el número de pedido (7 dígitos, por ejemplo 4581230).", True),
    ("Agregué 2 x Muzzarella grande. Total: $27.800. ¿Algo más?", True),
    ("Agregué 2 x Muzzarella grande.", False),
    (TOO_MANY_CALLS, False),
    ("Which size do you want?", False),
])
def test_clarifying_question(text: str, asks: bool) -> None:
    assert is_clarifying_question(text) is asks


def _run_main(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, final_state: dict[str, Any]) -> tuple[int, str]:
    eval_set, case = next((s, c) for s, c in load_cases("pizzeria") if c.eval_id == "cancelar_todo")
    monkeypatch.setattr(cli, "load_cases", lambda _: [(eval_set, case.model_copy(update={"final_session_state": final_state}))])
    code = cli.main(["--agent", "pizzeria", "--out", str(tmp_path)])
    return code, (tmp_path / "eval_report.md").read_text(encoding="utf-8")


def test_exit_code_is_zero_when_every_replayed_case_passes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, markdown = _run_main(monkeypatch, tmp_path, {"conversation_phase": "TOMANDO_PEDIDO"})
    assert code == 0 and "1/1 cases pass" in markdown


def test_exit_code_is_one_when_a_replayed_case_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, markdown = _run_main(monkeypatch, tmp_path, {"conversation_phase": "PEDIDO_ENTREGADO"})
    assert code == 1
    assert "0/1 cases pass" in markdown
    assert "state['conversation_phase'] = 'TOMANDO_PEDIDO', expected 'PEDIDO_ENTREGADO'" in markdown


async def test_a_real_models_calls_are_metered_with_the_servers_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through LiteLLM to a fake Ollama that reports prompt_eval_count=321, eval_count=12."""
    eval_set, case = next((s, c) for s, c in load_cases("pizzeria") if c.eval_id == "cancelar_todo")
    with FakeOllama() as server:
        monkeypatch.setenv("LLM_MODEL", "ollama_chat/qwen2.5:7b")
        monkeypatch.setenv("OLLAMA_API_BASE", server.url)
        get_settings.cache_clear()
        result = await run_case(eval_set, case, build_pizzeria, "pizzeria_agent", build_model(), mode="model")
        chats = len(server.chats())
    calls = [call for turn in result.turns for call in turn.calls]
    assert len(calls) == chats >= 1, "every request the server saw is in the report, and nothing else"
    assert {(c.token_source, c.prompt_tokens, c.completion_tokens) for c in calls} == {("usage", 321, 12)}
    assert result.turns[1].tool_calls[0].name == "add_item_to_order", "the model's own calls are reported"
