"""The real LiteLLM path: `LiteLlm("ollama_chat/...")` against a local fake Ollama server,
including the faults a shop's PC produces (server down, garbage, too slow)."""

from __future__ import annotations

import logging

import pytest
from google.adk.runners import InMemoryRunner

from eval.real.server import free_port
from pizzeria_agent.agent import build_agent
from tests.chat import APP, Chat
from tests.fake_ollama import FakeOllama
from tests.pizzeria.helpers import KNOWN, lines
from tools.llm.models import build_model
from tools.llm.replies import KEPT, MODEL_DOWN, model_down
from tools.llm.scripted import ScriptedLlm
from tools.settings import get_settings


def _wire_chat_parts(monkeypatch: pytest.MonkeyPatch, url: str, timeout: float = 10.0):
    monkeypatch.setenv("LLM_MODEL", "ollama_chat/qwen2.5:7b")
    monkeypatch.setenv("OLLAMA_API_BASE", url)
    monkeypatch.setenv("LLM_TIMEOUT_S", str(timeout))
    get_settings.cache_clear()
    model = build_model()
    return InMemoryRunner(agent=build_agent(model), app_name=APP)


async def _open(runner: InMemoryRunner) -> Chat:
    # Chat only reads `model.requests` for counting; the wire tests count on the server.
    return await Chat.open(runner=runner, model=ScriptedLlm(), user_id=KNOWN)


async def test_tool_call_round_trip_through_litellm(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama() as server:
        chat = await _open(_wire_chat_parts(monkeypatch, server.url))
        await chat.say("hola")
        turn = await chat.say("quiero dos muzzas grandes como las del finde")
        assert lines(await chat.state()) == {("muzzarella", "grande", 2)}
        assert "Agregué 2 x Muzzarella grande" in turn.reply
        chats = server.chats()
    assert len(chats) == 1, "the tool's fixed reply ended the turn: one model call"
    body = chats[0]
    assert body["model"] == "qwen2.5:7b"
    assert body["options"]["num_ctx"] == get_settings().llm_num_ctx
    assert {t["function"]["name"] for t in body["tools"]} == {
        "add_item_to_order", "remove_item_from_order", "change_item", "get_current_order"
    }
    assert body["messages"][0]["role"] == "system" and "Pedido actual" not in body["messages"][0]["content"]
    context, last = body["messages"][-2:]
    assert context["role"] == "user" and "Pedido actual" in context["content"], "what changes comes last, before the message"
    assert (last["role"], last["content"]) == ("user", "quiero dos muzzas grandes como las del finde")


async def test_the_order_specialists_static_prefix_is_the_same_bytes_every_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Instruction and tool schemas first and unchanged: the server's prefix cache serves them on the next turn."""
    with FakeOllama() as server:
        chat = await _open(_wire_chat_parts(monkeypatch, server.url))
        await chat.say("hola")
        await chat.say("quiero dos muzzas grandes como las del finde")
        await chat.say("y una fugazzeta chica como las del finde")
        first, second = [b for b in server.chats() if any(t["function"]["name"] == "add_item_to_order" for t in b.get("tools") or [])][:2]
    assert lines(await chat.state()) == {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)}
    assert first["messages"][0] == second["messages"][0] and first["tools"] == second["tools"]
    assert first["messages"][-2] != second["messages"][-2], "the turn's context (the order so far) changed"


async def test_server_down_gives_an_apology_keeps_state_and_recovers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    chat = await _open(_wire_chat_parts(monkeypatch, url))
    await chat.say("hola")
    before = await chat.state()
    with caplog.at_level(logging.ERROR):
        turn = await chat.say("quiero algo rico para la juntada")
    assert turn.reply == MODEL_DOWN
    assert url in caplog.text, "the operator's log line names the model server"
    after = await chat.state()
    assert after["current_order"] == before["current_order"]
    assert after["conversation_phase"] == "TOMANDO_PEDIDO"
    with FakeOllama(port=port):
        await chat.say("quiero dos muzzas grandes como las del finde")
    assert lines(await chat.state()) == {("muzzarella", "grande", 2)}


async def test_the_apology_says_the_order_is_kept_only_when_it_has_something(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    chat = await _open(_wire_chat_parts(monkeypatch, f"http://127.0.0.1:{port}"))
    with FakeOllama(port=port):
        await chat.say("hola")
        await chat.say("quiero dos muzzas grandes")
    turn = await chat.say("y algo para tomar para la juntada")  # words code does not read; the model server is down now
    assert turn.reply == model_down(kept=True) and turn.reply.endswith(KEPT)
    assert lines(await chat.state()) == {("muzzarella", "grande", 2)}, "what it says is kept, is"


@pytest.mark.parametrize(("mode", "delay"), [("malformed", 0.0), ("ok", 2.0)], ids=["malformed-json", "timeout"])
async def test_broken_answers_end_the_turn_with_an_apology(monkeypatch: pytest.MonkeyPatch, mode: str, delay: float) -> None:
    with FakeOllama(mode=mode, delay_s=delay) as server:
        chat = await _open(_wire_chat_parts(monkeypatch, server.url, timeout=1.0))
        await chat.say("hola")
        turn = await chat.say("quiero algo rico para la juntada")
        named = await chat.say("quiero dos muzzas grandes como las del finde")
    assert turn.reply == MODEL_DOWN
    assert lines(await chat.state()) == {("muzzarella", "grande", 2)}, "the model failed; the customer's words did not"
    assert "Muzzarella" in named.reply
