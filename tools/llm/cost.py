"""What one model call really cost, in the model server's own counts.

On a CPU a request's time is decided by its *uncached* prompt tokens (prefill at
~30 tokens/s) and its output tokens (~12 tokens/s), so both servers' counts are kept:

- llama.cpp's server (LiteLLM `openai/<alias>`): every answer carries `timings`
  (`prompt_n` tokens evaluated now, `cache_n` reused from the slot's KV cache,
  `prompt_ms`, `predicted_n`, `predicted_ms`) and `usage.prompt_tokens_details.
  cached_tokens`. LiteLLM sets unknown top-level keys as attributes of its
  `ModelResponse`, so `response.timings` is that dict; ADK's `LiteLlm` keeps only
  `usage` (prompt, completion, cached counts) and drops the timings.
- Ollama (`ollama_chat/...`): `prompt_eval_count`, `prompt_eval_duration`,
  `eval_count`, `eval_duration` (ns), and since 0.33 `prompt_eval_cached_count`.
  LiteLLM keeps only the two counts (as `usage`); the durations survive only in the
  raw answer text LiteLLM hands its `logger_fn` as `original_response`. Without
  `prompt_eval_cached_count` the cached share is unknown (older versions count only
  evaluated tokens in `prompt_eval_count`, 0.30+ count the whole prompt): the count
  is then reported as uncached, an upper bound.

`tools.llm.models.AccountedLiteLlm` computes a `CallCost` for every call and puts it
in the response's `custom_metadata[COST_KEY]`, where callbacks, the eval runner and
the metrics read it (`cost_of`).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from google.adk.models.llm_response import LlmResponse
from pydantic import BaseModel, computed_field

COST_KEY = "call_cost"

Source = Literal["llama.cpp", "ollama", "usage"]


class CallCost(BaseModel):
    """Prompt tokens (all, and the part the server reused), output tokens, and seconds."""

    prompt_tokens: int
    cached_tokens: int | None = None  # None: the server does not say
    completion_tokens: int
    prefill_s: float | None = None
    generation_s: float | None = None
    source: Source

    @computed_field
    @property
    def uncached_tokens(self) -> int:
        """Prompt tokens the server had to evaluate (all of them when it does not report a cache)."""
        return self.prompt_tokens - (self.cached_tokens or 0)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def from_llama_timings(timings: dict[str, Any]) -> CallCost:
    evaluated, cached = int(timings.get("prompt_n") or 0), int(timings.get("cache_n") or 0)
    return CallCost(
        prompt_tokens=evaluated + cached,
        cached_tokens=cached,
        completion_tokens=int(timings.get("predicted_n") or 0),
        prefill_s=round(float(timings.get("prompt_ms") or 0.0) / 1000, 4),
        generation_s=round(float(timings.get("predicted_ms") or 0.0) / 1000, 4),
        source="llama.cpp",
    )


def from_ollama(raw: dict[str, Any]) -> CallCost:
    cached = raw.get("prompt_eval_cached_count")
    return CallCost(
        prompt_tokens=int(raw.get("prompt_eval_count") or 0),
        cached_tokens=int(cached) if cached is not None else None,
        completion_tokens=int(raw.get("eval_count") or 0),
        prefill_s=round(raw["prompt_eval_duration"] / 1e9, 4) if raw.get("prompt_eval_duration") is not None else None,
        generation_s=round(raw["eval_duration"] / 1e9, 4) if raw.get("eval_duration") is not None else None,
        source="ollama",
    )


def from_usage(usage: Any) -> CallCost:
    details = _get(usage, "prompt_tokens_details")
    cached = _get(details, "cached_tokens")
    return CallCost(
        prompt_tokens=int(_get(usage, "prompt_tokens", 0) or 0),
        cached_tokens=int(cached) if cached is not None else None,
        completion_tokens=int(_get(usage, "completion_tokens", 0) or 0),
        source="usage",
    )


def from_litellm(response: Any, original_response: Any = None) -> CallCost | None:
    """The cost of a LiteLLM `ModelResponse` (and, for Ollama, LiteLLM's raw answer text)."""
    timings = _get(response, "timings")
    if isinstance(timings, dict) and "prompt_n" in timings:
        return from_llama_timings(timings)
    raw = original_response
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if isinstance(raw, dict) and "eval_count" in raw:
        return from_ollama(raw)
    usage = _get(response, "usage")
    return from_usage(usage) if usage is not None else None


def cost_of(response: LlmResponse | None) -> CallCost | None:
    """The `CallCost` an `AccountedLiteLlm` attached to `response`, if any."""
    found = ((response.custom_metadata or {}) if response else {}).get(COST_KEY)
    return CallCost.model_validate(found) if found else None


def attach(response: LlmResponse, cost: CallCost) -> None:
    """Put `cost` on `response` (custom_metadata, and the cached count on its usage metadata)."""
    response.custom_metadata = (response.custom_metadata or {}) | {COST_KEY: cost.model_dump()}
    usage = response.usage_metadata
    if usage is not None and cost.cached_tokens is not None:
        usage.cached_content_token_count = cost.cached_tokens
