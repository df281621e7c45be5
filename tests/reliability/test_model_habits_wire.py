"""What real small models do, absorbed in code, through the real wire path: LiteLLM to a
local fake server speaking Ollama's API and llama.cpp's OpenAI-compatible one.

The fake answers like a small Qwen model does on a CPU: tool calls as text in the
content (a JSON list, `<tool_call>` tags), the same call twice, another specialist's
tool, "¡Listo!" instead of the call, its own instruction echoed, or too late.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.adk.agents import LlmAgent
from google.adk.runners import InMemoryRunner
from google.genai import types

from pizzeria_agent.agent import build_agent
from tests.chat import APP, Chat
from tests.fake_ollama import FakeOllama
from tests.pizzeria.helpers import KNOWN, lines
from tests.test_model_habits import look_up, record_note
from tools.llm import replies
from tools.llm.absorb import NUDGE_MARK
from tools.llm.guards import guards
from tools.llm.models import build_model
from tools.llm.scripted import ScriptedLlm
from tools.settings import get_settings

WIRES = {"ollama": ("ollama_chat/qwen2.5:7b", "url"), "llama.cpp": ("openai/qwen2.5-coder-1.5b", "openai_url")}


class QwenOnACpu(FakeOllama):
    """Answers the order specialist in `mode`'s way; everything else as `FakeOllama`."""

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = super().answer(body)
        tools = [t["function"]["name"] for t in body.get("tools") or []]
        messages = body.get("messages", [])
        last = messages[-1] if messages else {}
        user = next((m["content"] for m in reversed(messages) if m["role"] == "user" and NUDGE_MARK not in str(m["content"])), "")
        nudged = NUDGE_MARK in str(last.get("content"))
        if last.get("role") == "tool":
            relayed = json.loads(last["content"] or "{}").get("message", "")
            reply["message"] = {"role": "assistant", "content": relayed or "Listo."}
            return reply
        if "add_item_to_order" not in tools:
            return reply
        call = {"name": "add_item_to_order", "arguments": {"item": user}}
        content = {
            "tags": f"<tool_call>\n{json.dumps(call)}\n</tool_call>",
            "list": json.dumps([call]),
            "claims": json.dumps(call) if nudged else "¡Listo, ya te lo agregué!",
            "echo": messages[0]["content"] if messages and messages[0]["role"] == "system" else "",
        }.get(self.mode)
        if content is not None:
            reply["message"] = {"role": "assistant", "content": content}
        elif self.mode == "twice":
            reply["message"] = {"role": "assistant", "content": "", "tool_calls": [{"function": call}, {"function": call}]}
        elif self.mode == "foreign":
            reply["message"] = {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "finalize_order", "arguments": {}}}]}
        return reply


def _runner(monkeypatch: pytest.MonkeyPatch, server: FakeOllama, wire: str, timeout: float = 10.0) -> InMemoryRunner:
    model, base = WIRES[wire]
    monkeypatch.setenv("LLM_MODEL", model)
    monkeypatch.setenv("OLLAMA_API_BASE", getattr(server, base))
    monkeypatch.setenv("OPENAI_API_KEY", "none")
    monkeypatch.setenv("LLM_TIMEOUT_S", str(timeout))
    get_settings.cache_clear()
    return InMemoryRunner(agent=build_agent(build_model()), app_name=APP)


async def _order(monkeypatch: pytest.MonkeyPatch, mode: str, wire: str, text: str = "una fugazzeta chica para la juntada"):  # type: ignore[no-untyped-def]
    with QwenOnACpu() as server:
        chat = await Chat.open(runner=_runner(monkeypatch, server, wire), model=ScriptedLlm(), user_id=KNOWN)
        await chat.say("hola")
        server.mode = mode
        before = len(server.chats())
        turn = await chat.say(text)
        return chat, turn, server.chats()[before:]


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize("mode", ["tags", "list"])
async def test_a_call_written_as_text_runs_and_is_never_shown(monkeypatch: pytest.MonkeyPatch, mode: str, wire: str) -> None:
    chat, turn, requests = await _order(monkeypatch, mode, wire)
    assert lines(await chat.state()) == {("fugazzeta", "chica", 1)}
    assert "Fugazzeta" in turn.reply and "tool_call" not in turn.reply and "{" not in turn.reply and "[" not in turn.reply
    assert len(requests) == 1, "the tool's message ended the turn"


@pytest.mark.parametrize("wire", WIRES)
async def test_the_same_call_twice_in_one_response_runs_once(monkeypatch: pytest.MonkeyPatch, wire: str) -> None:
    chat, _, _ = await _order(monkeypatch, "twice", wire)
    assert lines(await chat.state()) == {("fugazzeta", "chica", 1)}


@pytest.mark.parametrize("wire", WIRES)
async def test_another_specialists_tool_is_refused_naming_the_right_ones(monkeypatch: pytest.MonkeyPatch, wire: str) -> None:
    chat, turn, requests = await _order(monkeypatch, "foreign", wire, "algo rico para la juntada")
    told = [json.loads(m["content"]) for body in requests for m in body["messages"] if m["role"] == "tool"]
    assert told and "Tus herramientas son: add_item_to_order, remove_item_from_order, change_item, get_current_order" in told[0]["error"]
    assert "finalize_order" not in turn.reply and not (await chat.state()).get("order_id")


@pytest.mark.parametrize("wire", WIRES)
async def test_listo_instead_of_the_call_is_asked_again(monkeypatch: pytest.MonkeyPatch, wire: str) -> None:
    chat, turn, requests = await _order(monkeypatch, "claims", wire)
    assert lines(await chat.state()) == {("fugazzeta", "chica", 1)}
    assert len(requests) == 2 and NUDGE_MARK in requests[1]["messages"][-1]["content"]
    assert requests[1]["messages"][:-1] == requests[0]["messages"], "the same prefix, one line more: cached"
    assert "ya te lo agregué" not in turn.reply


@pytest.mark.parametrize("wire", WIRES)
async def test_an_echoed_instruction_never_reaches_the_customer(monkeypatch: pytest.MonkeyPatch, wire: str) -> None:
    _, turn, _ = await _order(monkeypatch, "echo", wire, "algo rico para la juntada")
    assert turn.reply == replies.CONFUSED


@pytest.mark.parametrize("wire", WIRES)
async def test_an_echo_instead_of_the_call_the_customer_named_is_made_by_code(monkeypatch: pytest.MonkeyPatch, wire: str) -> None:
    chat, turn, _ = await _order(monkeypatch, "echo", wire)
    assert lines(await chat.state()) == {("fugazzeta", "chica", 1)}
    assert turn.reply.startswith("Agregué 1 x Fugazzeta chica")


class NoteTaker(FakeOllama):
    """Answers text first; asked again (forced), calls record_note."""

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = super().answer(body)
        messages = body.get("messages", [])
        if messages and messages[-1]["role"] == "tool":
            reply["message"] = {"role": "assistant", "content": json.loads(messages[-1]["content"])["message"]}
        elif body.get("tool_choice") == "required" or NUDGE_MARK in str(messages[-1]["content"]):
            reply["message"] = {"role": "assistant", "content": "", "tool_calls": [
                {"function": {"name": "record_note", "arguments": {"text": "leche"}}}]}
        else:
            reply["message"] = {"role": "assistant", "content": "Claro."}
        return reply


@pytest.mark.parametrize("wire", WIRES)
async def test_a_due_tool_is_asked_for_with_only_it_and_tool_choice_required(monkeypatch: pytest.MonkeyPatch, wire: str) -> None:
    with NoteTaker() as server:
        model, base = WIRES[wire]
        monkeypatch.setenv("LLM_MODEL", model)
        monkeypatch.setenv("OLLAMA_API_BASE", getattr(server, base))
        monkeypatch.setenv("OPENAI_API_KEY", "none")
        get_settings.cache_clear()
        agent = LlmAgent(name="note_agent", model=build_model(), instruction="Anotás con record_note.",
                         tools=[record_note, look_up], **guards(due={"record_note"}))
        runner = InMemoryRunner(agent=agent, app_name="notes")
        session = await runner.session_service.create_session(app_name="notes", user_id="u")
        message = types.Content(role="user", parts=[types.Part(text="anotá leche")])
        async for _ in runner.run_async(user_id="u", session_id=session.id, new_message=message):
            pass
        first, again = server.chats()[:2]
    state = (await runner.session_service.get_session(app_name="notes", user_id="u", session_id=session.id)).state  # type: ignore[union-attr]
    assert state["notes"] == ["leche"]
    assert {t["function"]["name"] for t in first["tools"]} == {"record_note", "look_up"}
    assert [t["function"]["name"] for t in again["tools"]] == ["record_note"]
    if wire == "llama.cpp":
        assert again["tool_choice"] == "required", "llama.cpp constrains the answer to a call of the due tool"


@pytest.mark.parametrize("wire", WIRES)
async def test_a_timeout_keeps_the_customers_message_and_says_nothing_untrue(monkeypatch: pytest.MonkeyPatch, wire: str) -> None:
    with QwenOnACpu(delay_s=0.0) as server:
        chat = await Chat.open(runner=_runner(monkeypatch, server, wire, timeout=1.0), model=ScriptedLlm(), user_id=KNOWN)
        await chat.say("hola")
        server.delay_s = 2.5
        turn = await chat.say("quiero algo rico pero no sé qué")
    assert turn.reply == replies.MODEL_DOWN and "guardado" not in turn.reply
    session = await chat.runner.session_service.get_session(app_name=APP, user_id=KNOWN, session_id=chat.session_id)
    said = [p.text for e in session.events if e.author == "user" for p in e.content.parts or [] if p.text]  # type: ignore[union-attr]
    assert said[-1] == "quiero algo rico pero no sé qué", "the customer's message stays in the session"
