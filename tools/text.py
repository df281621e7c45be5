"""Text normalization shared by every deterministic matcher, and cleaning of raw customer text."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9/.,$ ]+")
_SPACES = re.compile(r"\s+")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # a decimal digit of another script
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation noise, collapse spaces.

    "¡Dos MUZZAS grandes!" -> "dos muzzas grandes". Digits, '/', '.', ',' and '$'
    survive because quantities, sizes ("1,5") and prices need them; digits of any
    script become ASCII ("٣" -> "3", "½" -> "1/2").
    """
    decomposed = unicodedata.normalize("NFKD", text).replace("\u2044", "/")  # "½" decomposes to "1⁄2"
    decomposed = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), decomposed)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    ascii_text = ascii_text.replace("-", " ").replace("\n", " ")
    ascii_text = _NON_WORD.sub(" ", ascii_text)
    # A comma or period not between digits is punctuation, not a decimal mark.
    ascii_text = re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", ascii_text)
    return _SPACES.sub(" ", ascii_text).strip()


def words(text: str) -> list[str]:
    """Normalized words of `text`."""
    return normalize(text).split()


def is_blank(text: str) -> bool:
    """True when `text` has nothing visible: spaces, zero-width characters, BOMs, control codes."""
    return all(unicodedata.category(c) in _INVISIBLE for c in text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """`text` safe to store anywhere: a lone UTF-16 surrogate (which no encoder accepts) becomes
    U+FFFD and control codes other than tab and line breaks become spaces (PostgreSQL refuses NUL)."""
    return _CONTROL.sub(" ", text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))


def any_word(*patterns: str, whole: bool = True) -> re.Pattern[str]:
    """One pattern matching any of `patterns` as words of normalized text (`whole=False`: as word beginnings)."""
    return re.compile(r"\b(?:" + "|".join(patterns) + (r")\b" if whole else r")"))
