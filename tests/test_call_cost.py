"""What a model call really costs, in the server's own counts (issue 12, point 2).

llama.cpp's `timings` (evaluated and reused prompt tokens, prefill and generation ms)
and Ollama's eval counts and durations survive LiteLLM and ADK onto each response
(`tools.llm.cost`), into `python -m eval`'s report per call and per conversation, and
into the OTel metrics; `LLM_SLOTS` pins each specialist to a llama.cpp slot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from eval.markdown import to_markdown
from eval.replay import load_cases, run_case
from eval.report import Report, Run
from pizzeria_agent.agent import build_agent as build_pizzeria
from tests.fake_ollama import (
    GENERATED_TOKENS_PER_S,
    PREFILL_TOKENS_PER_S,
    FakeOllama,
    prompt_text,
    tokens_of,
)
from tools.llm.cost import CallCost, from_litellm
from tools.llm.models import build_model
from tools.observability import configure_telemetry, metrics_snapshot
from tools.settings import Settings, get_settings


@pytest.fixture
def telemetry() -> Iterator[None]:
    configure_telemetry(Settings(otel_exporter_otlp_endpoint=""))
    yield
    configure_telemetry(Settings(otel_exporter_otlp_endpoint=""))


class _Response:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


def test_llama_timings_give_uncached_and_cached_tokens_and_seconds() -> None:
    timings = {"cache_n": 700, "prompt_n": 84, "prompt_ms": 2800.0, "predicted_n": 12, "predicted_ms": 1000.0}
    cost = from_litellm(_Response(timings=timings, usage={"prompt_tokens": 784, "completion_tokens": 12}))
    assert cost == CallCost(prompt_tokens=784, cached_tokens=700, completion_tokens=12, prefill_s=2.8, generation_s=1.0,
                            source="llama.cpp")
    assert cost.uncached_tokens == 84


def test_ollama_counts_and_durations_come_from_the_raw_answer() -> None:
    raw = {"prompt_eval_count": 321, "prompt_eval_duration": 10_700_000_000, "eval_count": 12, "eval_duration": 1_000_000_000}
    cost = from_litellm(_Response(usage={"prompt_tokens": 321, "completion_tokens": 12}), json.dumps(raw))
    assert (cost.prompt_tokens, cost.cached_tokens, cost.uncached_tokens) == (321, None, 321), "no cache count: all uncached"
    assert (cost.prefill_s, cost.generation_s, cost.source) == (10.7, 1.0, "ollama")
    newer = from_litellm(None, json.dumps(raw | {"prompt_eval_cached_count": 300}))
    assert (newer.cached_tokens, newer.uncached_tokens) == (300, 21), "Ollama 0.33+ says what it reused"


def test_only_usage_gives_counts_without_seconds() -> None:
    cost = from_litellm(_Response(usage={"prompt_tokens": 50, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 40}}))
    assert (cost.prompt_tokens, cost.cached_tokens, cost.prefill_s, cost.source) == (50, 40, None, "usage")


def _wire(monkeypatch: pytest.MonkeyPatch, model: str, url: str, **env: str) -> None:
    monkeypatch.setenv("LLM_MODEL", model)
    monkeypatch.setenv("OLLAMA_API_BASE", url)
    monkeypatch.setenv("OPENAI_API_KEY", "none")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


async def _case(case_id: str = "producto_que_no_existe"):  # a case whose items code cannot read  # type: ignore[no-untyped-def]
    eval_set, case = next((s, c) for s, c in load_cases("pizzeria") if c.eval_id == case_id)
    return await run_case(eval_set, case, build_pizzeria, "pizzeria_agent", build_model(), mode="model")


async def test_ollamas_counts_and_durations_reach_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama() as server:
        _wire(monkeypatch, "ollama_chat/qwen2.5:7b", server.url)
        result = await _case()
        bodies = server.chats()
    calls = [call for turn in result.turns for call in turn.calls]
    assert len(calls) == len(bodies) >= 1, "every request the server saw is in the report, and nothing else"
    for call, body in zip(calls, bodies, strict=True):
        prompt = tokens_of(prompt_text(body))
        assert (call.token_source, call.prompt_tokens, call.uncached_tokens, call.cached_tokens) == ("ollama", prompt, prompt, None)
        assert call.prefill_s == pytest.approx(prompt / PREFILL_TOKENS_PER_S, abs=1e-3)
        assert call.generation_s == pytest.approx(call.completion_tokens / GENERATED_TOKENS_PER_S, abs=1e-3)
    assert result.turns[1].tool_calls[0].name == "add_item_to_order", "the model's own calls are reported"


async def test_llama_cpp_timings_reach_the_report_and_the_metrics(monkeypatch: pytest.MonkeyPatch, telemetry: None) -> None:
    with FakeOllama() as server:
        _wire(monkeypatch, "openai/qwen2.5-coder-1.5b", server.openai_url)
        menu = "pregunta_por_el_menu_a_mitad_del_pedido"  # one specialist: no classifier sharing its slot
        first, second = await _case(menu), await _case(menu)
    calls = [call for turn in second.turns for call in turn.calls]
    assert calls and all(c.token_source == "llama.cpp" for c in calls)
    assert all(c.cached_tokens and c.uncached_tokens < c.prompt_tokens for c in calls), "the same prefix, reused"
    assert all(c.prefill_s == pytest.approx(c.uncached_tokens / PREFILL_TOKENS_PER_S, abs=1e-3) for c in calls)
    cost = second.cost
    assert cost.model_calls == len(calls) and cost.cached_tokens == sum(c.cached_tokens or 0 for c in calls)
    assert cost.prefill_s == pytest.approx(sum(c.prefill_s or 0 for c in calls), abs=0.01)

    prompt = {tuple(sorted(p["attributes"].items())): p for p in metrics_snapshot()["model_prompt_tokens"]["points"]}
    every = [c for r in (first, second) for t in r.turns for c in t.calls]
    uncached = sum(p["sum"] for k, p in prompt.items() if ("cache", "uncached") in k)
    cached = sum(p["sum"] for k, p in prompt.items() if ("cache", "cached") in k)
    assert (uncached, cached) == (sum(c.uncached_tokens for c in every), sum(c.cached_tokens or 0 for c in every))
    assert {dict(k)["agent"] for k in prompt} <= {"order_agent", "confirmation_agent", "menu_agent", "(coordinator)",
                                                   "user_agent", "address_agent", "finalization_agent"}
    snapshot = metrics_snapshot()
    assert {"model_output_tokens", "model_prefill_seconds", "model_generation_seconds"} <= snapshot.keys()

    markdown = to_markdown(Report(model="openai/x", tokenizer="server", runs=[Run(agent="pizzeria_agent", mode="model",
                                                                                  model="openai/x", cases=[second])]))
    assert "| pizzeria_agent | pregunta_por_el_menu_a_mitad_del_pedido |" in markdown and "uncached prompt tokens per call (p50)" in markdown


async def test_each_specialist_keeps_its_own_llama_cpp_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama() as server:
        _wire(monkeypatch, "openai/qwen2.5-coder-1.5b", server.openai_url, LLM_SLOTS="4")
        await _case()
        bodies = server.chats()
    by_agent: dict[str, set[int]] = {}
    for body in bodies:
        system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
        by_agent.setdefault(system[:40], set()).add(body["id_slot"])
    assert all(len(slots) == 1 for slots in by_agent.values()), "one slot per specialist"
    assert len({s for slots in by_agent.values() for s in slots}) == min(4, len(by_agent))


async def test_without_slots_no_id_slot_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama() as server:
        _wire(monkeypatch, "openai/qwen2.5-coder-1.5b", server.openai_url)
        await _case()
        assert all("id_slot" not in body for body in server.chats())
