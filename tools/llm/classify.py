"""One short classification call, for the rare message deterministic rules cannot place."""

from __future__ import annotations

import json
import logging
import re

from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.genai import types
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)
_JSON_OBJECT = re.compile(r"\{.*?\}", re.DOTALL)


class Classification(BaseModel):
    intent: str


async def classify_with_model(model: BaseLlm, instruction: str, text: str, labels: set[str]) -> str | None:
    """Ask `model` for {"intent": ...}; the label if valid, None on any failure."""
    request = LlmRequest(
        model=model.model,
        contents=[types.Content(role="user", parts=[types.Part(text=text[:500])])],
        config=types.GenerateContentConfig(system_instruction=instruction, temperature=0, max_output_tokens=20),
    )
    answer = ""
    try:
        async for response in model.generate_content_async(request):
            if response.content and response.content.parts:
                answer += "".join(p.text or "" for p in response.content.parts)
    except Exception as exc:  # the model server may be down; rules then decide alone
        log.warning("classification call failed: %s: %s", type(exc).__name__, str(exc)[:200])
        return None
    match = _JSON_OBJECT.search(answer)
    try:
        intent = Classification.model_validate(json.loads(match.group(0))).intent if match else None
    except (json.JSONDecodeError, ValidationError):
        intent = None
    return intent if intent in labels else None
