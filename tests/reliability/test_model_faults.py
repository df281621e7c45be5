"""Model faults through the real LiteLLM wire path (a local fake Ollama server), for both agents.

For each fault — the server refusing connections, answering after the timeout,
answering malformed JSON, calling a tool that does not exist, calling the same
tool on every call — the faulty turn ends with a short Spanish apology within
MAX_MODEL_CALLS_PER_TURN model calls, what the conversation built before is
kept, and the next turn, with the model healthy again, works. A model that repeats a
call is stopped at the first repeat (the call ran once): the customer gets what it
answered, or the apology when it answered nothing the customer may read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from google.adk.agents import BaseAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.runners import InMemoryRunner
from sqlalchemy.ext.asyncio import AsyncEngine

from ecommerce_agent.agent import build_agent as build_shop_agent
from pizzeria_agent.agent import build_agent as build_pizzeria_agent
from tests.chat import APP as PIZZERIA_APP
from tests.chat import Chat
from tests.ecommerce.test_conversations import APP as SHOP_APP
from tests.ecommerce.test_conversations import C0001, ShopChat
from tests.fake_ollama import FakeOllama
from tests.pizzeria.helpers import KNOWN, lines
from tools.llm.models import build_model
from tools.llm.replies import MODEL_DOWN, TOO_MANY_CALLS, model_down
from tools.llm.scripted import ScriptedLlm
from tools.settings import get_settings

CAP = 3
TIMEOUT_S = 1.0
LOOPED_TOOLS = ("get_current_order", "my_promotions")
"""Read-only tools a looping model calls again and again (one per agent)."""


class FaultyOllama(FakeOllama):
    """`FakeOllama` whose healthy mode passes the customer's words to the tools and relays
    their messages, plus two misbehaving models: "unknown_tool" and "loop"."""

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = super().answer(body)
        tools = [t["function"]["name"] for t in body.get("tools") or []]
        messages = body.get("messages", [])
        user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        if self.mode == "unknown_tool" and tools:
            reply["message"] = _calls("borrar_base_de_datos", {})
        elif self.mode == "loop" and (looped := [t for t in tools if t in LOOPED_TOOLS]):
            reply["message"] = _calls(looped[0], {})
        elif messages and messages[-1]["role"] == "tool":
            relayed = json.loads(messages[-1]["content"] or "{}").get("message", "")
            reply["message"] = {"role": "assistant", "content": relayed or "Listo."}
        elif "add_item_to_order" in tools:
            reply["message"] = _calls("add_item_to_order", {"item": user})
        elif "track_order" in tools and (number := re.search(r"\d{7}", user)):
            reply["message"] = _calls("track_order", {"order_number": number.group()})
        elif "my_promotions" in tools:
            reply["message"] = _calls("my_promotions", {})
        return reply


def _calls(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": name, "arguments": arguments}}]}


@dataclass(frozen=True)
class Fault:
    mode: str  # FakeOllama mode; "down" means no server on the port
    delay_s: float
    apology: str


FAULTS = {
    "connection-refused": Fault("down", 0.0, MODEL_DOWN),
    "timeout": Fault("ok", TIMEOUT_S + 1.5, MODEL_DOWN),
    "malformed-json": Fault("malformed", 0.0, MODEL_DOWN),
    "unknown-tool": Fault("unknown_tool", 0.0, TOO_MANY_CALLS),
    "same-tool-loop": Fault("loop", 0.0, TOO_MANY_CALLS),
}


def _wire_runner(monkeypatch: pytest.MonkeyPatch, server: FakeOllama, build: Callable[[BaseLlm], BaseAgent], app: str) -> InMemoryRunner:
    monkeypatch.setenv("LLM_MODEL", "ollama_chat/qwen2.5:7b")
    monkeypatch.setenv("OLLAMA_API_BASE", server.url)
    monkeypatch.setenv("LLM_TIMEOUT_S", str(TIMEOUT_S))
    monkeypatch.setenv("MAX_MODEL_CALLS_PER_TURN", str(CAP))
    get_settings.cache_clear()
    return InMemoryRunner(agent=build(build_model()), app_name=app)


async def _faulty_turn(server: FaultyOllama, fault: Fault, say: Callable[[], Any]) -> tuple[str, list[dict[str, Any]]]:
    """Run one turn with the model misbehaving; return the reply and the chat requests it made."""
    before = len(server.chats())
    server.mode, server.delay_s = fault.mode, fault.delay_s
    try:
        if fault.mode == "down":
            reply = await say()
        else:
            with server:
                reply = await say()
    finally:
        server.mode, server.delay_s = "ok", 0.0
    return reply, server.chats()[before:]


def _assert_short_apology(reply: str, fault: Fault, requests: list[dict[str, Any]], kept: bool = False) -> None:
    """`kept`: the conversation has something saved, which the server apology then says (and only then)."""
    assert reply == (model_down(kept=True) if kept and fault.apology == MODEL_DOWN else fault.apology)
    assert reply.startswith("Perdón") and len(reply) < 160, "a short Spanish apology"
    assert len(requests) <= CAP, f"{len(requests)} model calls in one turn, cap {CAP}"
    if fault.mode in ("unknown_tool", "loop"):
        assert len(requests) == 2, "a stuck model repeating its call is stopped at the first repeat"
    if fault.mode == "unknown_tool":
        answers = [json.loads(m["content"]) for m in requests[-1]["messages"] if m["role"] == "tool"]
        assert answers and answers[-1]["ok"] is False, "the made-up tool is refused, in a message to the model"
        assert re.search(r"no existe|permiso", answers[-1].get("error", "") + answers[-1].get("message", ""))


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_pizzeria_turn_survives_a_faulty_model(monkeypatch: pytest.MonkeyPatch, fault: Fault) -> None:
    server = FaultyOllama()
    runner = _wire_runner(monkeypatch, server, build_pizzeria_agent, PIZZERIA_APP)
    chat = await Chat.open(runner=runner, model=ScriptedLlm(), user_id=KNOWN)  # model unused: calls counted on the server
    with server:
        await chat.say("hola")
        await chat.say("quiero dos muzzas grandes")
    before = await chat.state()
    assert lines(before) == {("muzzarella", "grande", 2)}

    async def say() -> str:
        return (await chat.say("agregame algo rico para la juntada")).reply

    reply, requests = await _faulty_turn(server, fault, say)
    _assert_short_apology(reply, fault, requests, kept=True)  # the two muzzas
    after = await chat.state()
    assert after["current_order"] == before["current_order"]
    assert after["conversation_phase"] == before["conversation_phase"] == "TOMANDO_PEDIDO"

    with server:
        recovered = (await chat.say("agregame una fugazzeta chica para la juntada")).reply
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}
    assert "Fugazzeta" in recovered and "Perdón" not in recovered


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_shop_turn_survives_a_faulty_model(monkeypatch: pytest.MonkeyPatch, shop: AsyncEngine, fault: Fault) -> None:
    server = FaultyOllama()
    runner = _wire_runner(monkeypatch, server, build_shop_agent, SHOP_APP)
    session = await runner.session_service.create_session(app_name=SHOP_APP, user_id=C0001)
    chat = ShopChat(runner, ScriptedLlm(), C0001, session.id)
    with server:
        tracked, _, _ = await chat.say("donde esta mi pedido 4581230")
    assert "4581230" in tracked
    before = await chat.state()

    async def say() -> str:
        return (await chat.say("¿qué promociones tengo?"))[0]

    reply, requests = await _faulty_turn(server, fault, say)
    if fault.mode == "loop":  # every shop tool's message ends the turn: a model that would loop is called once
        assert len(requests) == 1 and "BIENVENIDA10" in reply and "Perdón" not in reply
        return
    _assert_short_apology(reply, fault, requests)
    after = await chat.state()
    assert after["agent_history"] == [*before["agent_history"], "promotions_agent"], "earlier turns are kept"
    assert after["intent_history"][: len(before["intent_history"])] == before["intent_history"]
    assert after["error_count"] == (0 if fault.mode == "loop" else 1) and not after["requires_human"]

    with server:
        recovered = await say()
    assert re.search(r"BIENVENIDA10", recovered), "C0001's promotions, relayed from the tool"
    assert "Perdón" not in recovered and (await chat.state())["error_count"] == 0
