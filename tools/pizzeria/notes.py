"""Line notes as customers write them: "sin aceitunas", "bien cocida", "cortada en 16".

Pure and lexical (no resolver): `find_notes` returns each note with where it starts, and
`without_notes` the text with them cut out, so "bien cocida" is never read as a Coca-Cola
and "sin aceitunas" never as a removal. "sin" before a menu item ("sin la coca") is not a
note: it is the customer taking the item out.
"""

from __future__ import annotations

import re

from tools.pizzeria.menu import Menu, load_menu
from tools.text import normalize

_NOTE = re.compile(
    r"\b(?:sin (?:la |el |los |las )?(?P<without>[a-z]+)(?: ni [a-z]+)*|(?:bien|poco|muy) (?:cocid|tostad|dorad|hech)[ao]s?|"
    r"a punto|cortad[ao]s? en \d+|(?:con )?(?:extra|doble) [a-z]+|(?:con )?poc[ao] [a-z]+)\b"
)
_NOT_NOTES = {"tacc", "gluten", "alcohol", "azucar", "nada", "eso", "esa", "ese"}  # menu questions and words, not notes


_WORDS: dict[int, tuple[Menu, frozenset[str]]] = {}


def _item_words(menu: Menu) -> frozenset[str]:
    """Every word of every item's name and aliases (per menu; menus are few and live for the process)."""
    entry = _WORDS.get(id(menu))
    if entry is None or entry[0] is not menu:
        words = frozenset(w for item in menu.items for alias in [item.name, *item.aliases] for w in normalize(alias).split())
        entry = _WORDS[id(menu)] = (menu, words)
    return entry[1]


def find_notes(text: str, menu: Menu | None = None) -> list[tuple[int, str]]:
    """(character offset in the normalized text, note) for each note in `text`."""
    words = _item_words(menu or load_menu())
    found = []
    for match in _NOTE.finditer(normalize(text)):
        without = match.group("without")
        if without and (without in words or without in _NOT_NOTES):
            continue
        found.append((match.start(), match.group(0)))
    return found


def without_notes(text: str, menu: Menu | None = None) -> str:
    """`text` normalized, with its notes cut out."""
    norm = normalize(text)
    for start, note in reversed(find_notes(text, menu)):
        norm = norm[:start] + norm[start + len(note):]
    return " ".join(norm.split())
