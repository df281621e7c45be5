"""Text normalization shared by every deterministic matcher."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9/.,$ ]+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation noise, collapse spaces.

    "¡Dos MUZZAS grandes!" -> "dos muzzas grandes". Digits, '/', '.', ',' and '$'
    survive because quantities, sizes ("1,5") and prices need them.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    ascii_text = ascii_text.replace("-", " ").replace("\n", " ")
    ascii_text = _NON_WORD.sub(" ", ascii_text)
    # A comma or period not between digits is punctuation, not a decimal mark.
    ascii_text = re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", ascii_text)
    return _SPACES.sub(" ", ascii_text).strip()


def words(text: str) -> list[str]:
    """Normalized words of `text`."""
    return normalize(text).split()
