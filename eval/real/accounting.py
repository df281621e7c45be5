"""Per-call token and time accounting from llama-server (and Ollama) answers.

llama-server adds a `timings` object to every (non-streamed) chat answer:
`prompt_n` tokens evaluated now, `cache_n` prompt tokens reused from the slot's
KV cache, `prompt_ms` prefill time, `predicted_n`/`predicted_ms` generation. Its
`usage.prompt_tokens` is the whole prompt (`prompt_n + cache_n`) and
`usage.prompt_tokens_details.cached_tokens` is `cache_n`.

Through LiteLLM (`openai/<alias>`), unknown top-level keys of the answer are set as
attributes of the `ModelResponse`, so `response.timings` is that dict; `usage` is a
`litellm.Usage` with `prompt_tokens_details.cached_tokens`. ADK's `LiteLlm` keeps
only `usage` (`usage_metadata.prompt_token_count`, `cached_content_token_count`),
not the timings. Ollama's answer through LiteLLM (`ollama_chat/...`) keeps only
`prompt_eval_count`/`eval_count` (as `usage.prompt_tokens`/`completion_tokens`);
its durations are only in the raw answer text that LiteLLM hands to callbacks as
`kwargs["original_response"]`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class CallCost:
    """One model call: prompt tokens computed vs reused, generated tokens, seconds."""

    prompt_tokens: int  # whole prompt
    cached_tokens: int  # reused from the server's cache (not computed)
    completion_tokens: int
    prefill_s: float | None = None
    generation_s: float | None = None

    @property
    def uncached_tokens(self) -> int:
        return self.prompt_tokens - self.cached_tokens

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"uncached_tokens": self.uncached_tokens}


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def from_llama_timings(timings: dict[str, Any], usage: Any = None) -> CallCost:
    """A llama-server `timings` dict (plus `usage`, for the completion count if no timings)."""
    prompt_n, cache_n = int(timings.get("prompt_n", 0)), int(timings.get("cache_n", 0))
    return CallCost(
        prompt_tokens=prompt_n + cache_n,
        cached_tokens=cache_n,
        completion_tokens=int(timings.get("predicted_n", _get(usage, "completion_tokens", 0))),
        prefill_s=float(timings.get("prompt_ms", 0.0)) / 1000,
        generation_s=float(timings.get("predicted_ms", 0.0)) / 1000,
    )


def from_ollama(raw: dict[str, Any]) -> CallCost:
    """A raw Ollama `/api/chat` answer (durations in ns; no cache count is reported)."""
    return CallCost(
        prompt_tokens=int(raw.get("prompt_eval_count", 0)),
        cached_tokens=0,
        completion_tokens=int(raw.get("eval_count", 0)),
        prefill_s=raw["prompt_eval_duration"] / 1e9 if "prompt_eval_duration" in raw else None,
        generation_s=raw["eval_duration"] / 1e9 if "eval_duration" in raw else None,
    )


def from_usage(usage: Any) -> CallCost:
    """Only an OpenAI-style `usage` (dict or object): no times."""
    details = _get(usage, "prompt_tokens_details")
    return CallCost(
        prompt_tokens=int(_get(usage, "prompt_tokens", 0) or 0),
        cached_tokens=int(_get(details, "cached_tokens", 0) or 0),
        completion_tokens=int(_get(usage, "completion_tokens", 0) or 0),
    )


def from_litellm(response: Any, original_response: str | None = None) -> CallCost:
    """A LiteLLM `ModelResponse` (llama.cpp via `openai/`, or Ollama plus its raw text)."""
    timings = getattr(response, "timings", None)
    if isinstance(timings, dict):
        return from_llama_timings(timings, _get(response, "usage"))
    if original_response:
        try:
            raw = json.loads(original_response)
        except ValueError:
            raw = None
        if isinstance(raw, dict) and "prompt_eval_count" in raw:
            return from_ollama(raw)
    return from_usage(_get(response, "usage"))
