"""At start-up, with specialists pinned to llama.cpp slots, the service caches each specialist's prefix once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ecommerce_agent.agent import build_agent as build_shop
from gateway.app import create_app
from pizzeria_agent.agent import build_agent as build_pizzeria
from tests.fake_ollama import FakeOllama
from tools.llm.models import build_model
from tools.settings import get_settings


async def test_each_specialist_is_warmed_once_at_start(service_env: None, shop: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama() as server:
        for key, value in {"LLM_MODEL": "openai/qwen2.5-coder-1.5b", "OLLAMA_API_BASE": server.openai_url,
                           "OPENAI_API_KEY": "none", "LLM_SLOTS": "7"}.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        agents = {"pizzeria": build_pizzeria(build_model()), "ecommerce": build_shop(build_model())}
        app = create_app(agents=agents)
        async with app.router.lifespan_context(app):
            for _ in range(100):
                if len(server.chats()) >= 11:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.3)
            warmed = server.chats()
    assert len(warmed) == 11, "five pizzeria and six shop specialists, once each"
    assert all(b.get("max_completion_tokens", b.get("max_tokens")) == 1 for b in warmed)
    assert len({b["messages"][0]["content"] for b in warmed}) == 11
