"""Turn what a customer (or a small model) writes into menu lines.

"dos muzzas gde", "una docena de empanadas de carne", "2 x fugaza chica",
"una coca de litro y medio": the resolver finds the items, sizes and quantities
in code, so tool arguments may be as messy as the model sends them. Everything
here is pure and synchronous; tests exercise it directly.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from tools.pizzeria import replies
from tools.pizzeria.menu import Menu, MenuItem, load_menu
from tools.pizzeria.quantities import (
    FILLER,
    ResolveError,
    check_quantity,
    last_quantity,
    parse_quantity,
    suffix_quantity,
)
from tools.text import normalize

_CATEGORY_WORDS = {
    "pizza": "pizzas", "pizzas": "pizzas", "empanada": "empanadas", "empanadas": "empanadas",
    "bebida": "bebidas", "bebidas": "bebidas", "gaseosa": "bebidas", "gaseosas": "bebidas",
    "postre": "postres", "postres": "postres",
}


class Line(BaseModel):
    """One resolved order line (prices are looked up later, from the menu)."""

    item_id: str
    size: str
    quantity: int
    halves: list[str] | None = None  # half-and-half: the two items, priced as the dearer (`item_id`)
    note: str | None = None  # "sin aceitunas", "bien cocida"


@dataclass(frozen=True)
class Mention:
    """An item found in free text, with the size and quantity written around it."""

    item_id: str
    size: str | None
    quantity: int | None
    start: int  # token index, for ordering
    problem: str | None = None  # why the written quantity cannot be taken ("media muzza")
    end: int = 0  # token index after the item's words


# --------------------------------------------------------------------------- indexes


@dataclass
class _Index:
    """Aliases bucketed by first token (exact pass) and first letter (typo pass)."""

    by_token: dict[str, list[tuple[tuple[str, ...], str]]]
    by_letter: dict[str, list[tuple[tuple[str, ...], str]]]

    @classmethod
    def build(cls, entries: dict[tuple[str, ...], str]) -> _Index:
        by_token: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        by_letter: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for alias, value in entries.items():
            by_token.setdefault(_singular(alias[0]), []).append((alias, value))
            by_letter.setdefault(alias[0][0], []).append((alias, value))
        return cls(by_token, by_letter)


_INDEXES: dict[tuple[int, str], tuple[Menu, _Index]] = {}


def _cached(menu: Menu, key: str, build: Callable[[], dict[tuple[str, ...], str]]) -> _Index:
    """Per-menu index cache (menus are few and live for the process)."""
    entry = _INDEXES.get((id(menu), key))
    if entry is None or entry[0] is not menu:
        entry = _INDEXES[(id(menu), key)] = (menu, _Index.build(build()))
    return entry[1]


def _alias_index(menu: Menu) -> _Index:
    """Item aliases -> item id (plurals are matched by `_token_equal`)."""
    return _cached(menu, "items", lambda: _build_alias_index(menu))


def _build_alias_index(menu: Menu) -> dict[tuple[str, ...], str]:
    index: dict[tuple[str, ...], str] = {}
    for item in menu.items:
        for alias in [item.name, item.id.replace("_", " "), *item.aliases]:
            tokens = tuple(normalize(alias).split())
            if tokens:
                index.setdefault(tokens, item.id)
    return index


def _size_index(menu: Menu, category_id: str) -> _Index:
    return _cached(menu, "sizes:" + category_id, lambda: _build_size_index(menu, category_id))


def _build_size_index(menu: Menu, category_id: str) -> dict[tuple[str, ...], str]:
    category = next(c for c in menu.categories if c.id == category_id)
    index: dict[tuple[str, ...], str] = {}
    for size_id, size in category.sizes.items():
        for alias in [size_id, size.label, *size.aliases]:
            tokens = tuple(normalize(alias).split())
            if tokens:
                index.setdefault(tokens, size_id)
    return index


def _singular(token: str) -> str:
    if len(token) > 4 and token.endswith("es") and not token.endswith("ses"):
        return token[:-2]
    if len(token) > 3 and token.endswith("s"):
        return token[:-1]
    return token


def _token_equal(written: str, alias: str, fuzzy: bool) -> bool:
    if written == alias or _singular(written) == _singular(alias):
        return True
    if fuzzy and len(alias) >= 5 and not alias.isdigit():
        a, b = _singular(written), _singular(alias)
        if abs(len(a) - len(b)) > 3 or a[0] != b[0]:
            return False  # typos rarely touch the first letter; this keeps matching cheap
        matcher = difflib.SequenceMatcher(None, a, b)
        return matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8
    return False


def _match_at(tokens: list[str], pos: int, index: _Index, fuzzy: bool) -> tuple[str, int] | None:
    """Longest alias starting at `pos`: (value, token length)."""
    first = tokens[pos]
    if fuzzy:
        candidates = index.by_letter.get(first[0], [])
    else:
        keys = {first, _singular(first), first.removesuffix("s")}
        candidates = [c for key in keys for c in index.by_token.get(key, [])]
    best: tuple[str, int] | None = None
    for alias, value in candidates:
        n = len(alias)
        if pos + n > len(tokens) or (best and n <= best[1]):
            continue
        if all(_token_equal(tokens[pos + k], alias[k], fuzzy) for k in range(n)):
            best = (value, n)
    return best


# --------------------------------------------------------------------------- items and sizes


def resolve_size(item: MenuItem, text: object, menu: Menu | None = None) -> str | None:
    """The size id of `item` that `text` names ("gde" -> "grande"), or None."""
    menu = menu or load_menu()
    tokens = _spaced_volumes(normalize(str(text or ""))).split()
    index = _size_index(menu, item.category_id)
    for pos in range(len(tokens)):
        for fuzzy in (False, True):
            found = _match_at(tokens, pos, index, fuzzy)
            if found:
                return found[0]
    return None


_VOLUME = re.compile(r"(\d+(?:[.,]\d+)?)\s*(lts?|ltrs?|l|ml|cc)\b")


def _spaced_volumes(text: str) -> str:
    """Volumes as small models write them, in the menu's words: "1,5lts" / "1.5lt" -> "1,5 l" / "1.5 l",
    "1500ml" -> "1,5 l", "500cc" -> "500 ml"."""

    def spell(match: re.Match[str]) -> str:
        number, unit = match.group(1), match.group(2)
        if unit in ("ml", "cc"):
            litres = float(number.replace(",", ".")) / 1000
            return f"{litres:g} l".replace(".", ",") if litres >= 1 else f"{number} ml"
        return f"{number} l"

    return _VOLUME.sub(spell, text)


def find_mentions(text: str, menu: Menu | None = None) -> list[Mention]:
    """Every menu item named in `text`, with the size and quantity written next to it.

    "dos muzzas grandes y una fugazzeta chica, y una coca de litro y medio" ->
    [muzzarella/grande/2, fugazzeta/chica/1, coca_cola/1.5l/1].
    """
    menu = menu or load_menu()
    tokens = mention_tokens(text)
    index = _alias_index(menu)
    spans: list[tuple[int, int, str]] = []  # (start, end, item_id)
    pos = 0
    while pos < len(tokens):
        found = _match_at(tokens, pos, index, fuzzy=False) or _match_at(tokens, pos, index, fuzzy=True)
        if found and not (found[1] == 1 and tokens[pos] in FILLER):
            if spans and spans[-1][2] == found[0] and all(t in FILLER for t in tokens[spans[-1][1]:pos]):
                spans[-1] = (spans[-1][0], pos + found[1], found[0])  # "birra quilmes": one item, two names
            else:
                spans.append((pos, pos + found[1], found[0]))
            pos += found[1]
        else:
            pos += 1

    mentions: list[Mention] = []
    for i, (start, end, item_id) in enumerate(spans):
        item = menu.item(item_id)
        prev_end = spans[i - 1][1] if i else 0
        next_start = spans[i + 1][0] if i + 1 < len(spans) else len(tokens)
        after = tokens[end:next_start]
        before = tokens[prev_end:start]
        counted = max((k + 1 for k, t in enumerate(before) if parse_quantity_word(t) is not None), default=0)
        size = _first_size(item, after, menu) or _first_size(item, before[counted:], menu)  # "grande y una coca": not its size
        problem = None
        try:
            if "docena" in before or "docenas" in before:
                size, quantity = _dozen(before, item)
            else:
                quantity = last_quantity(before)
                if quantity is None:
                    quantity = suffix_quantity(after)
        except ResolveError as exc:
            quantity, problem = None, str(exc)
        mentions.append(Mention(item_id, size, quantity, start, problem, end))
    return mentions


_MINUS = re.compile(r"(?:^|(?<=\s))-(?=\d)")
"""A minus sign written against a number ("-2 muzzas"); a list dash has a space after it."""


_HALF_DOZEN_AGAIN = re.compile(r"\b(media docena\b.*\b(?:y|e)) media de\b")
""""media docena de carne y media de pollo": the second "media" is another half dozen."""


def mention_tokens(text: str) -> list[str]:
    """The words of `text` as `find_mentions` reads them (`Mention.start`/`end` index these)."""
    norm = normalize(_MINUS.sub("menos ", text))
    while (again := _HALF_DOZEN_AGAIN.search(norm)) is not None:
        norm = f"{norm[:again.start()]}{again.group(1)} media docena de{norm[again.end():]}"
    return norm.split()


def parse_quantity_word(token: str) -> int | None:
    """The number one word says ("dos", "2"), else None."""
    try:
        return parse_quantity(token)
    except ResolveError:
        return None


def _dozen(before: list[str], item: MenuItem) -> tuple[str | None, int | None]:
    """"media docena de humita" = 6 units; "dos docenas de carne" = 2 dozens."""
    at = before.index("docena") if "docena" in before else before.index("docenas")
    if at and before[at - 1] in ("media", "1/2"):
        return ("unidad" if "unidad" in item.prices else None), 6
    count = last_quantity(before[:at])
    if "docena" in item.prices:
        return "docena", (count if count is not None else 1)
    return None, 12 * (count if count is not None else 1)


def _first_size(item: MenuItem, tokens: list[str], menu: Menu) -> str | None:
    index = _size_index(menu, item.category_id)
    for pos in range(len(tokens)):
        found = _match_at(tokens, pos, index, fuzzy=False)
        if found:
            return found[0]
    return None


# --------------------------------------------------------------------------- lines


def resolve_line(item: object, quantity: object = None, size: object = None, menu: Menu | None = None) -> list[Line]:
    """Resolve one tool call's arguments into order lines.

    `item` may name several items ("muzza y fugazzeta"), or carry its own size and
    quantity ("2 muzzas grandes"). Words inside `item` are the customer's own and
    win; explicit `quantity`/`size` fill what they leave out when `item` names one
    item. Raises ResolveError with a Spanish message listing the valid options.
    """
    menu = menu or load_menu()
    text = str(item or "").strip()
    mentions = find_mentions(text, menu)
    if not mentions:
        raise ResolveError(unknown_item_message(text, menu))
    explicit_quantity = parse_quantity(quantity)
    explicit_size = str(size).strip() if size not in (None, "") else None
    lines = []
    for mention in mentions:
        if mention.problem:
            raise ResolveError(replies.item_problem(menu.item(mention.item_id).name, mention.problem))
        single = len(mentions) == 1
        qty = mention.quantity if mention.quantity is not None else (explicit_quantity if single else None)
        lines.append(
            _make_line(
                menu.item(mention.item_id),
                qty if qty is not None else 1,
                None if (mention.size or not single) else explicit_size,
                mention.size,
                menu,
            )
        )
    return lines


def _make_line(item: MenuItem, quantity: int, size_text: str | None, parsed_size: str | None, menu: Menu) -> Line:
    quantity = check_quantity(quantity)
    sizes = list(item.prices)
    category = menu.category_of(item)
    if len(sizes) == 1:
        return Line(item_id=item.id, size=sizes[0], quantity=quantity)
    size = parsed_size
    if size_text:
        size = resolve_size(item, size_text, menu)
        if size is None:
            raise ResolveError(replies.sizes_offered(item.name, _size_list(item, menu)))
    if size is None:
        size = category.default_size
    if size is None:
        raise ResolveError(replies.which_size(item.name, _size_list(item, menu)))
    if size not in item.prices:
        raise ResolveError(replies.sizes_offered(item.name, _size_list(item, menu)))
    return Line(item_id=item.id, size=size, quantity=quantity)


def _size_list(item: MenuItem, menu: Menu) -> str:
    labels = [menu.size_label(item, s) for s in item.prices]
    return ", ".join(labels[:-1]) + (" o " if len(labels) > 1 else "") + labels[-1]


def unknown_item_message(text: str, menu: Menu | None = None) -> str:
    """Spanish reply for an item we do not sell, with the closest real options."""
    menu = menu or load_menu()
    tokens = normalize(text).split()
    category_id = next((_CATEGORY_WORDS[t] for t in tokens if t in _CATEGORY_WORDS), None)
    if category_id:
        category = next(c for c in menu.categories if c.id == category_id)
        options = [i.name for i in category.items]
    else:
        names = {normalize(i.name): i.name for i in menu.items}
        close = difflib.get_close_matches(normalize(text), list(names), n=4, cutoff=0.4)
        options = [names[c] for c in close] or [c.name for c in menu.categories]
    shown = (text[:40] + "…") if len(text) > 40 else text
    return replies.unknown_item(shown, options)
