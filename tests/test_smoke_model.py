"""Optional smoke test against a real model server; CI never needs one.

    SMOKE_MODEL=ollama_chat/qwen2.5:7b SMOKE_API_BASE=http://127.0.0.1:11434 pytest -m smoke tests/test_smoke_model.py

`SMOKE_API_BASE` defaults to `OLLAMA_API_BASE`. For an OpenAI-compatible server such
as llama.cpp's: `SMOKE_MODEL=openai/<alias> SMOKE_API_BASE=http://127.0.0.1:8080/v1
OPENAI_API_KEY=none`. One short conversation per agent; only the shape of the exchange
is checked (a valid tool call for a trivial request that code leaves to the model, Spanish text, the turn ending
within the call cap), not what a particular model answers. Without SMOKE_MODEL the
smoke tests are skipped; the same checks run here against the fake Ollama server.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from google.adk.evaluation.eval_case import EvalCase, Invocation, SessionInput
from google.genai import types
from sqlalchemy.ext.asyncio import AsyncEngine

from ecommerce_agent.agent import build_agent as build_shop
from eval.replay import run_case
from eval.report import CaseResult, looks_spanish
from pizzeria_agent.agent import build_agent as build_pizzeria
from tests.fake_ollama import FakeOllama
from tests.pizzeria.helpers import KNOWN
from tools.llm.models import build_model
from tools.settings import get_settings

SMOKE_MODEL = os.environ.get("SMOKE_MODEL", "")
SMOKE_API_BASE = os.environ.get("SMOKE_API_BASE") or os.environ.get("OLLAMA_API_BASE", "")
needs_model = pytest.mark.skipif(not SMOKE_MODEL, reason="set SMOKE_MODEL (and SMOKE_API_BASE) to run against a real model")

PIZZERIA = ("pizzeria_agent", build_pizzeria, KNOWN, ["hola", "quiero dos muzzas grandes para la juntada"],
            {"add_item_to_order", "remove_item_from_order", "change_item", "get_current_order"}, "item")
SHOP = ("ecommerce_agent", build_shop, "5491160000001", ["hola", "busco una notebook gamer"],
        {"search_catalog", "product_details", "compare_products"}, "query")


def _conversation(app: str, user_id: str, texts: list[str]) -> EvalCase:
    return EvalCase(
        eval_id="smoke",
        conversation=[Invocation(invocation_id=f"smoke-{n}", user_content=types.Content(role="user", parts=[types.Part(text=t)]))
                      for n, t in enumerate(texts)],
        session_input=SessionInput(app_name=app, user_id=user_id, state={}),
    )


async def smoke(monkeypatch: pytest.MonkeyPatch, model: str, api_base: str, agent: tuple[Any, ...]) -> CaseResult:
    """Run the agent's short conversation on `model` and check the shape of the exchange."""
    app, build, user_id, texts, tools, main_arg = agent
    monkeypatch.setenv("LLM_MODEL", model)
    if api_base:
        monkeypatch.setenv("OLLAMA_API_BASE", api_base)
    get_settings.cache_clear()
    result = await run_case("smoke", _conversation(app, user_id, texts), build, app, build_model(), mode="model")
    for turn in result.turns:
        assert looks_spanish(turn.reply), f"not Spanish: {turn.reply!r}"
        specialist_calls = [c for c in turn.calls if not c.routing]
        assert len(specialist_calls) <= get_settings().max_model_calls_per_turn, "the turn ends within the call cap"
        assert not any(c.error for c in turn.calls), [c.error for c in turn.calls]
    request = result.turns[-1]
    assert request.tool_calls, "a trivial request gets a tool call"
    first = request.tool_calls[0]
    assert first.name in tools and isinstance(first.args.get(main_arg), str) and first.args[main_arg].strip(), first
    return result


@pytest.mark.smoke
@needs_model
async def test_pizzeria_smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    await smoke(monkeypatch, SMOKE_MODEL, SMOKE_API_BASE, PIZZERIA)


@pytest.mark.smoke
@needs_model
async def test_shop_smoke(monkeypatch: pytest.MonkeyPatch, shop: AsyncEngine) -> None:
    await smoke(monkeypatch, SMOKE_MODEL, SMOKE_API_BASE, SHOP)


class _ShopFakeOllama(FakeOllama):
    """The fake Ollama, also answering the shop's product specialist with a catalog search."""

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = super().answer(body)
        tools = [t["function"]["name"] for t in body.get("tools") or []]
        if "search_catalog" in tools and body["messages"][-1].get("role") != "tool":
            call = {"function": {"name": "search_catalog", "arguments": {"query": "notebook gamer"}}}
            reply["message"] = {"role": "assistant", "content": "", "tool_calls": [call]}
        return reply


async def test_smoke_checks_pass_against_the_fake_ollama(monkeypatch: pytest.MonkeyPatch, shop: AsyncEngine) -> None:
    with _ShopFakeOllama() as server:
        pizzeria = await smoke(monkeypatch, "ollama_chat/qwen2.5:7b", server.url, PIZZERIA)
        shop_result = await smoke(monkeypatch, "ollama_chat/qwen2.5:7b", server.url, SHOP)
    assert pizzeria.turns[-1].tool_calls[0].args == {"item": "muzza", "quantity": 2, "size": "grande"}
    assert shop_result.turns[-1].outcome == ["search_catalog:ok"]


async def test_smoke_checks_catch_a_model_that_only_chats(monkeypatch: pytest.MonkeyPatch, shop: AsyncEngine) -> None:
    """The plain fake answers the shop's specialist with text only: the smoke check must fail."""
    with FakeOllama() as server:
        with pytest.raises(AssertionError, match="a trivial request gets a tool call"):
            await smoke(monkeypatch, "ollama_chat/qwen2.5:7b", server.url, SHOP)
