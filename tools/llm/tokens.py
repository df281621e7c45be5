"""Prompt token counting without a network.

Uses tiktoken's cl100k_base from the copy LiteLLM ships in its package (no
download). cl100k is the base of Llama 3's tokenizer (which adds 28k tokens on
top), so for Llama-3.1/Qwen-2.5-class models it is a close, slightly pessimistic
proxy. If it cannot load, falls back to 3.5 characters per token.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path


@functools.cache
def _encoder() -> Callable[[str], int] | None:
    try:
        import litellm.litellm_core_utils.tokenizers as bundled
        import tiktoken

        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(Path(bundled.__file__).parent))
        encoding = tiktoken.get_encoding("cl100k_base")
    except Exception:  # no tiktoken data available: use the estimate
        return None
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def count_tokens(text: str) -> int:
    encode = _encoder()
    return encode(text) if encode else round(len(text) / 3.5)
