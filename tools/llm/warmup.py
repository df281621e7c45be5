"""Each specialist's fixed prefix sent once when a process starts, so no customer pays its prefill.

With specialists pinned to llama.cpp slots (`LLM_SLOTS` > 0), a specialist's first call
evaluates its whole instruction and tool schemas (300–600 tokens: 4–10 s on two cores);
every later call reuses them from its slot. `warm_up(root)` builds each specialist's request
as ADK builds it for a first message (the agent's own request processors and before-model
callbacks, so the bytes are the ones a customer's request starts with), asks the server for
one token and drops the answer: no tool runs, no session is written. Call it once per process,
before the first customer (the service's start-up, `python -m eval --model`).
"""

from __future__ import annotations

import logging

from google.adk.agents import BaseAgent, LlmAgent
from google.adk.agents.invocation_context import InvocationContext, new_invocation_context_id
from google.adk.agents.run_config import RunConfig
from google.adk.events.event import Event
from google.adk.models.llm_request import LlmRequest
from google.adk.sessions import InMemorySessionService
from google.genai import types

from tools.llm.accounted import AGENT_LABEL
from tools.llm.cost import CallCost, cost_of

log = logging.getLogger(__name__)

WARM_UP_TEXT = "hola"
"""The message the warm-up requests carry after the fixed prefix (its tokens are not kept)."""


async def warm_up(root: BaseAgent, app_name: str = "warm-up") -> dict[str, CallCost | None]:
    """Send each `LlmAgent` below `root` its first request once, for one token; {specialist: what it cost}."""
    sessions = InMemorySessionService()
    session = await sessions.create_session(app_name=app_name, user_id="warm-up")
    costs: dict[str, CallCost | None] = {}
    for agent in root.sub_agents:
        if not isinstance(agent, LlmAgent):
            continue
        try:
            costs[agent.name] = await _warm(agent, sessions, session)
        except Exception as problem:  # noqa: BLE001 - a cold cache is slower, never wrong
            log.warning("warm-up of %s failed: %s", agent.name, type(problem).__name__)
    return costs


async def _warm(agent: LlmAgent, sessions: InMemorySessionService, session: object) -> CallCost | None:
    ctx = InvocationContext(
        session_service=sessions, invocation_id=new_invocation_context_id(), agent=agent, session=session,
        user_content=types.Content(role="user", parts=[types.Part(text=WARM_UP_TEXT)]), run_config=RunConfig(),
    )
    request = LlmRequest()
    flow = agent._llm_flow  # ADK's own request assembly: the prefix must be the customer's bytes
    async for _ in flow._preprocess_async(ctx, request):
        pass
    if await flow._handle_before_model_callback(ctx, request, Event(invocation_id=ctx.invocation_id, author=agent.name)):
        return None  # a callback answered without the model
    request.config.labels = {**(request.config.labels or {}), AGENT_LABEL: agent.name}
    request.config.max_output_tokens = 1
    cost = None
    async for response in agent.canonical_model.generate_content_async(request):
        cost = cost_of(response) or cost
    return cost
