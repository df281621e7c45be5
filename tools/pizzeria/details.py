"""What the customer says about a line beyond item, size and quantity: half-and-half pizzas and notes.

"una grande mitad muzza mitad napo" is one pizza priced as its dearer half (the
Argentine custom); "una muzza sin aceitunas bien cocida" keeps its note on the line.
`resolve` is the add path's reader: `resolver.resolve_line` plus these two.
"""

from __future__ import annotations

import re

from tools.pizzeria.menu import Menu, load_menu
from tools.pizzeria.notes import find_notes, without_notes
from tools.pizzeria.resolver import Line, find_mentions, resolve_line
from tools.text import normalize

_HALVES = re.compile(
    r"^(?P<pre>.*?)\b(?:mitad|media)(?! docenas?\b) (?:de )?(?:la )?(?P<a>.+?) (?:y )?(?:(?:la )?otra )?(?:mitad|media) (?:de )?(?:la )?(?P<b>.+)$"
)


def has_details(text: str, menu: Menu | None = None) -> bool:
    """Whether the words name a half-and-half or a line note (the add path must read them with `resolve`)."""
    menu = menu or load_menu()
    return bool(_HALVES.match(normalize(text))) or bool(find_notes(text, menu))


def resolve(item: object, quantity: object = None, size: object = None, menu: Menu | None = None) -> list[Line]:
    """`resolve_line` for an add, with halves and notes read from the same words (ResolveError as it raises)."""
    menu = menu or load_menu()
    text = str(item or "")
    clean = without_notes(text, menu) if find_notes(text, menu) else text  # the customer's own words where nothing was cut
    lines = _halves(normalize(clean), quantity, size, menu) or resolve_line(clean, quantity, size, menu)
    return with_notes(lines, text, menu)


def _halves(text: str, quantity: object, size: object, menu: Menu) -> list[Line] | None:
    match = _HALVES.match(text)
    if match is None:
        return None
    first_text = f"{match['pre']} {match['a']}".strip()
    first_mentions, second_mentions = find_mentions(first_text, menu), find_mentions(match["b"], menu)
    if not first_mentions or not second_mentions:
        return None
    before = resolve_line(first_text, quantity, size, menu)
    after = resolve_line(match["b"], None, None, menu)
    first, second = before[-1], after[0]
    a, b = menu.item(first.item_id), menu.item(second.item_id)
    if a.category_id != b.category_id or a.id == b.id:
        return None
    chosen = first_mentions[-1].size or second_mentions[0].size or first.size
    if chosen not in a.prices or chosen not in b.prices:
        return None
    dearer = max((a, b), key=lambda i: i.prices[chosen])
    half = Line(item_id=dearer.id, size=chosen, quantity=first.quantity, halves=[a.id, b.id])
    return [*before[:-1], half, *after[1:]]


def with_notes(lines: list[Line], text: str, menu: Menu) -> list[Line]:
    """Each note of `text` added to the line of the item named just before it (or the first line)."""
    if not lines:
        return lines
    norm = normalize(text)
    notes: dict[int, list[str]] = {}
    for start, note in find_notes(text, menu):
        named = find_mentions(without_notes(norm[:start], menu), menu)
        target = next((n for n, line in enumerate(lines)
                       if named and named[-1].item_id in (line.halves or [line.item_id])), 0)
        notes.setdefault(target, []).append(note)
    return [line.model_copy(update={"note": ", ".join([*filter(None, [line.note]), *notes[n]])}) if n in notes else line
            for n, line in enumerate(lines)]
