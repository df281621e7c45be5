"""Drive whole conversations through ADK's Runner with a scripted model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.adk.runners import InMemoryRunner
from google.adk.sessions import BaseSessionService
from google.genai import types

from pizzeria_agent.agent import build_agent
from pizzeria_agent.demo_policy import demo_policy
from tools.llm.scripted import Policy, ScriptedLlm
from tools.pizzeria import stores
from tools.settings import get_settings

APP = "pizzeria_agent"


@dataclass
class Turn:
    text: str
    reply: str
    tool_calls: list[tuple[str, dict[str, Any]]]
    model_calls: int
    authors: list[str] = field(default_factory=list)


class Chat:
    """One customer's conversation. `await chat.say("...")` returns the Turn."""

    def __init__(self, runner: InMemoryRunner, model: ScriptedLlm, user_id: str, session_id: str) -> None:
        self.runner, self.model, self.user_id, self.session_id = runner, model, user_id, session_id
        self.turns: list[Turn] = []

    @classmethod
    async def open(
        cls,
        policy: Policy | None = None,
        user_id: str = "5491100000099",
        runner: InMemoryRunner | None = None,
        model: ScriptedLlm | None = None,
    ) -> Chat:
        if runner is None:
            model = model or ScriptedLlm(policy=policy or demo_policy)
            runner = InMemoryRunner(agent=build_agent(model), app_name=APP)
        assert model is not None
        session = await runner.session_service.create_session(app_name=APP, user_id=user_id)
        return cls(runner, model, user_id, session.id)

    async def say(self, text: str) -> Turn:
        before = len(self.model.requests)
        texts, calls, authors = [], [], []
        message = types.Content(role="user", parts=[types.Part(text=text)])
        async for event in self.runner.run_async(user_id=self.user_id, session_id=self.session_id, new_message=message):
            authors.append(event.author)
            for part in (event.content.parts if event.content else None) or []:
                if part.text and event.author != "user":
                    texts.append(part.text)
                if part.function_call:
                    calls.append((part.function_call.name, dict(part.function_call.args or {})))
        turn = Turn(text, "\n".join(texts), calls, len(self.model.requests) - before, authors)
        self.turns.append(turn)
        return turn

    async def state(self) -> dict[str, Any]:
        service: BaseSessionService = self.runner.session_service
        session = await service.get_session(app_name=APP, user_id=self.user_id, session_id=self.session_id)
        assert session is not None
        return dict(session.state)


def saved_orders() -> list[dict[str, Any]]:
    """The saved orders as the store returns them (user id and address decrypted)."""
    path = Path(get_settings().pizzeria_data_dir) / "pedidos.json"
    return [order.model_dump() for order in stores.orders().all()] if path.exists() else []


def shared_runner(model: ScriptedLlm) -> InMemoryRunner:
    return InMemoryRunner(agent=build_agent(model), app_name=APP)
