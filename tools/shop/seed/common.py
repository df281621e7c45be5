"""What every part of the seed shares: the vocabulary files, the row type, time helpers and seeded random streams."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from tools.settings import DATA_ROOT

Row = dict[str, Any]

VOCAB_DIR = DATA_ROOT / "ecommerce"


@cache
def load_vocab(name: str) -> Any:
    """A JSON file from data/ecommerce (read once, never written)."""
    return json.loads((VOCAB_DIR / name).read_text(encoding="utf-8"))


def ascii_slug(value: str) -> str:
    """Lower-case ASCII letters and digits only: "Benítez" -> "benitez"."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def whole_seconds(moment: datetime) -> datetime:
    """The moment without its microseconds (what every seeded timestamp is)."""
    return moment.replace(microsecond=0)


def in_hours(value: float) -> timedelta:
    """`value` hours as a timedelta."""
    return timedelta(hours=value)


def section_rng(rng_seed: int, section: str) -> random.Random:
    """An independent, reproducible stream per section (one section never shifts another)."""
    return random.Random(f"{rng_seed}:{section}")
