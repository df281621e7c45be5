"""Greetings, thanks, farewells and a plain "sí", read from the customer's words with no model.

A message made only of these words ("hola", "¡gracias!", "gracias, chau", "buenas tardes")
gets a short fixed reply in any phase, after an operator's release too: never a specialist,
a ticket or a model call. A message that also asks for something ("hola, ¿dónde está mi
pedido?") is not small talk and is routed as usual.
"""

from __future__ import annotations

import re
from enum import StrEnum

from tools.text import normalize


class SmallTalk(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    FAREWELL = "farewell"


_PHRASES: dict[SmallTalk, tuple[str, ...]] = {
    SmallTalk.FAREWELL: ("chau", "chao", "chauu", "adios", "hasta luego", "hasta manana", "hasta la proxima", "nos vemos",
                         "bye", "saludos", "que tengas buen dia", "que tengas un buen dia", "buen finde"),
    SmallTalk.THANKS: ("gracias", "muchas gracias", "mil gracias", "muchisimas gracias", "graciass", "grax", "grcs", "gracia",
                       "te agradezco", "thanks", "thx", "muy amable", "sos un genio", "genia", "genio"),
    SmallTalk.GREETING: ("hola", "holaa", "holis", "buenas", "buen dia", "buenos dias", "buenas tardes", "buenas noches",
                         "hey", "que tal", "como estas", "como andas", "como va", "todo bien"),
}
_FILLERS = ("ok", "oka", "okey", "dale", "listo", "perfecto", "genial", "buenisimo", "joya", "barbaro", "excelente",
            "de diez", "bien", "bueno", "si", "no", "che", "por favor", "porfa", "a vos", "igualmente", "vos")
"""Words that may come with small talk ("ok, gracias", "dale, chau") but are not small talk alone."""
_YES = {"si", "dale", "ok", "oka", "okey", "de una", "bueno", "por favor", "porfa", "si por favor", "si dale", "dale si",
        "si porfa", "aplicalo", "aplicamelo", "si aplicalo", "claro", "obvio", "perfecto", "listo", "si gracias",
        "dale gracias", "si claro", "si quiero", "si dale gracias"}


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")\b")


_MATCHERS = {kind: _pattern(phrases) for kind, phrases in _PHRASES.items()}
_FILLER = _pattern(_FILLERS)


def small_talk(text: str) -> SmallTalk | None:
    """The kind of small talk `text` is only made of (a farewell wins over thanks, thanks over a greeting), or None."""
    norm = re.sub(r"(.)\1{2,}", r"\1", normalize(text))  # "holaaaa", "graciassss"
    found = [kind for kind, matcher in _MATCHERS.items() if matcher.search(norm)]
    if not found:
        return None
    rest = norm
    for matcher in [*_MATCHERS.values(), _FILLER]:
        rest = matcher.sub(" ", rest)
    return found[0] if not rest.strip() else None


def is_yes(text: str) -> bool:
    """A plain yes: "sí", "dale", "sí, por favor"."""
    return " ".join(re.sub(r"(.)\1+", r"\1", normalize(text)).replace(",", " ").split()) in _YES
