"""Build the model every specialist uses, from settings.

`LLM_MODEL=ollama_chat/qwen2.5:7b` (default) goes through LiteLLM to Ollama at
`OLLAMA_API_BASE` with `num_ctx=LLM_NUM_CTX`; any other LiteLLM string works the
same way (`openai/<alias>` for an OpenAI-compatible server such as llama.cpp's).
`LLM_MODEL=scripted` plugs in the offline scripted model with the agent's demo
policy, so `adk run` works on a machine with no model server at all.
"""

from __future__ import annotations

from google.adk.models.base_llm import BaseLlm

from tools.llm.scripted import Policy, ScriptedLlm
from tools.settings import Settings, get_settings


def build_model(demo_policy: Policy | None = None, settings: Settings | None = None) -> BaseLlm:
    settings = settings or get_settings()
    if settings.llm_model == "scripted":
        return ScriptedLlm(policy=demo_policy)
    from google.adk.models.lite_llm import LiteLlm  # imports litellm: only when used

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
