"""The customer's message as every layer reads it: cleaned of unstorable characters and cut to size.

The coordinators read the message once per turn; the model-call guard and the tools
read the same text through `customer_text`, so a long message is cut in one way
everywhere and the customer is told once (`notice`).
"""

from __future__ import annotations

from dataclasses import dataclass

from google.genai import types

from tools.llm import replies
from tools.settings import get_settings
from tools.text import clean_text, is_blank


def content_text(content: types.Content | None) -> str:
    """The text parts of a message joined, as sent (not cleaned, not cut)."""
    if not content or not content.parts:
        return ""
    return " ".join(p.text for p in content.parts if p.text)


@dataclass(frozen=True)
class CustomerMessage:
    text: str  # cleaned, at most MAX_MESSAGE_CHARS
    notice: str | None = None  # tells the customer the message was cut

    @property
    def blank(self) -> bool:
        return is_blank(self.text)


def read_message(raw: str) -> CustomerMessage:
    """`raw` cleaned and cut to MAX_MESSAGE_CHARS, with the notice to say when it was cut."""
    text, limit = clean_text(raw), get_settings().max_message_chars
    if len(text) <= limit:
        return CustomerMessage(text)
    return CustomerMessage(text[:limit], replies.truncated(limit))


def customer_text(content: types.Content | None) -> str:
    """The customer's message of this turn as the coordinator read it."""
    return read_message(content_text(content)).text
