"""ADK's `LiteLlm` with each call's cost: the server's own counts on the response and in the metrics.

`AccountedClient` is LiteLLM's client keeping the raw answer (Ollama's durations live
only there, handed to LiteLLM's `logger_fn`) and the `CallCost` of every completion
(`tools.llm.cost.from_litellm`); `AccountedLiteLlm` puts that cost on the final
`LlmResponse` (`custom_metadata`, read with `tools.llm.cost.cost_of`) and records it
in the OTel metrics under the asking specialist's name (ADK's `adk_agent_name` label).
With a `SlotMap`, each specialist's requests carry llama.cpp's `id_slot`.
Imported only when a real model is configured: importing LiteLLM costs seconds.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import AsyncGenerator
from typing import Any

from google.adk.models.lite_llm import LiteLlm, LiteLLMClient
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.genai import types

from tools.llm.cost import CallCost, attach, from_litellm
from tools.observability.metrics import record_model_call

AGENT_LABEL = "adk_agent_name"
"""Label ADK puts on every request with the name of the agent asking."""

_call: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("llm_call", default=None)


_slots: dict[str, int] = {}
_slots_lock = threading.Lock()


class SlotMap:
    """Specialist name -> llama.cpp slot, assigned in the order specialists first call.

    One assignment per process, shared by every model built (each conversation and each
    agent package builds its own), so a specialist finds its prefix in the same slot
    across turns and across conversations.
    """

    def __init__(self, slots: int) -> None:
        self.slots = slots

    def slot(self, agent: str) -> int:
        with _slots_lock:
            if agent not in _slots:
                _slots[agent] = len(_slots)
            return _slots[agent] % self.slots


class AccountedClient(LiteLLMClient):
    async def acompletion(self, model: Any, messages: Any, tools: Any, **kwargs: Any) -> Any:
        call = _call.get()
        raw: dict[str, Any] = {}
        if call is not None:
            kwargs["logger_fn"] = lambda details: raw.update(original=details.get("original_response"))
        response = await super().acompletion(model=model, messages=messages, tools=tools, **kwargs)
        if call is not None:
            call["cost"] = from_litellm(response, raw.get("original"))
        return response


def pin_slot(llm_request: LlmRequest, slot: int) -> None:
    """Send `id_slot` with this request (llama.cpp keeps that slot's cache for it)."""
    config = llm_request.config = llm_request.config or types.GenerateContentConfig()
    options = config.http_options = config.http_options or types.HttpOptions()
    options.extra_body = {**(options.extra_body or {}), "id_slot": slot}


class AccountedLiteLlm(LiteLlm):
    slot_map: Any = None  # a SlotMap when specialists are pinned to llama.cpp slots

    def __init__(self, model: str, **kwargs: Any) -> None:
        super().__init__(model=model, llm_client=AccountedClient(), **kwargs)

    async def generate_content_async(self, llm_request: LlmRequest, stream: bool = False) -> AsyncGenerator[LlmResponse, None]:
        agent = str(((llm_request.config.labels if llm_request.config else None) or {}).get(AGENT_LABEL, ""))
        if self.slot_map is not None:
            pin_slot(llm_request, self.slot_map.slot(agent))
        call: dict[str, Any] = {}
        _call.set(call)  # read by AccountedClient.acompletion, awaited in this same task
        async for response in super().generate_content_async(llm_request, stream):
            cost: CallCost | None = call.get("cost")
            if cost is not None and not response.partial:
                attach(response, cost)
                record_model_call(agent or "(coordinator)", cost)
            yield response
