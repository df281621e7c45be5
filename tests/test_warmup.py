"""The warm-up leaves each specialist's fixed prefix in its llama.cpp slot: a customer's first call reuses it."""

from __future__ import annotations

import json
import os

import pytest
from google.adk.runners import InMemoryRunner

from pizzeria_agent.agent import build_agent
from tests.chat import APP, Chat
from tests.fake_ollama import FakeOllama, prompt_text
from tests.pizzeria.helpers import KNOWN, lines
from tools.llm.models import build_model
from tools.llm.scripted import ScriptedLlm
from tools.llm.warmup import warm_up
from tools.settings import get_settings


def _wire(monkeypatch: pytest.MonkeyPatch, server: FakeOllama) -> None:
    for key, value in {"LLM_MODEL": "openai/qwen2.5-coder-1.5b", "OLLAMA_API_BASE": server.openai_url,
                       "OPENAI_API_KEY": "none", "LLM_SLOTS": "7"}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def _prefix(body: dict) -> str:
    """What stays the same for a specialist: its tool schemas and system message."""
    return json.dumps(body.get("tools") or [], ensure_ascii=False) + json.dumps(body["messages"][:1], ensure_ascii=False)[:-1]


async def test_the_first_order_call_finds_its_prefix_in_its_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama() as server:
        _wire(monkeypatch, server)
        agent = build_agent(build_model())
        costs = await warm_up(agent)
        warmed = {b["messages"][0]["content"][:30]: b for b in server.chats()}
        assert len(warmed) == 5 and all(b.get("max_completion_tokens", b.get("max_tokens")) == 1 for b in warmed.values()), "one short request per specialist"
        assert all(c is not None and c.prompt_tokens for c in costs.values())
        chat = await Chat.open(runner=InMemoryRunner(agent=agent, app_name=APP), model=ScriptedLlm(), user_id=KNOWN)
        await chat.say("hola")
        before = len(server.chats())
        await chat.say("quiero dos muzzas grandes como las del finde")
        (order_call, *_) = [b for b in server.chats()[before:] if any(t["function"]["name"] == "add_item_to_order" for t in b["tools"])]
    assert lines(await chat.state()) == {("muzzarella", "grande", 2)}
    warm = next(b for b in warmed.values() if any(t["function"]["name"] == "add_item_to_order" for t in b["tools"]))
    assert warm["id_slot"] == order_call["id_slot"], "the warm-up used the slot the specialist's calls use"
    shared = os.path.commonprefix([prompt_text(warm), prompt_text(order_call)])
    assert len(shared) >= len(_prefix(order_call)), "tool schemas and instruction are the same bytes: cached"
