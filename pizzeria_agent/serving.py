"""How the service hosts the pizzeria agent (see `tools.llm.serving`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.adk.agents import BaseAgent

from tools.llm.serving import Serving, TurnSummary
from tools.pizzeria.state import PizzeriaState


def _build() -> BaseAgent:
    from pizzeria_agent.agent import root_agent

    return root_agent


def _summary(state: Mapping[str, Any]) -> TurnSummary:
    return TurnSummary(phase=PizzeriaState.of(state).conversation_phase)


SERVING = Serving(app_name="pizzeria_agent", build=_build, summary=_summary)
