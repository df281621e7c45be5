"""Build the model every specialist uses, from settings.

`LLM_MODEL=ollama_chat/qwen2.5:7b` (default) goes through LiteLLM to Ollama at
`OLLAMA_API_BASE` with `num_ctx=LLM_NUM_CTX`; any other LiteLLM string works the
same way (`openai/<alias>` for an OpenAI-compatible server such as llama.cpp's).
`LLM_MODEL=scripted` plugs in the offline scripted model with the agent's demo
policy, so `adk run` works on a machine with no model server at all. The policy is
named by import path ("pizzeria_agent.demo_policy:demo_policy") and imported only
then: a production agent never loads its demo script.
"""

from __future__ import annotations

import importlib

from google.adk.models.base_llm import BaseLlm

from tools.llm.scripted import Policy, ScriptedLlm
from tools.observability.logs import quiet_litellm
from tools.settings import Settings, get_settings


def build_model(demo_policy: str | None = None, settings: Settings | None = None) -> BaseLlm:
    """The configured model; `demo_policy` ("module:function") is what the scripted model does."""
    settings = settings or get_settings()
    if settings.llm_model == "scripted":
        return ScriptedLlm(policy=_load_policy(demo_policy) if demo_policy else None)
    from google.adk.models.lite_llm import LiteLlm  # imports litellm: only when used

    quiet_litellm(settings.log_level)  # no banners or INFO lines between the chat's lines

    extra: dict[str, object] = {}
    if settings.llm_model.startswith(("ollama/", "ollama_chat/")):
        extra["num_ctx"] = settings.llm_num_ctx
    return LiteLlm(
        model=settings.llm_model,
        api_base=settings.ollama_api_base,
        timeout=settings.llm_timeout_s,
        max_tokens=settings.llm_max_tokens,
        num_retries=0,
        **extra,
    )


def _load_policy(path: str) -> Policy:
    module, _, name = path.partition(":")
    policy: Policy = getattr(importlib.import_module(module), name)
    return policy
