"""Turn what a customer (or a small model) writes into menu lines.

"dos muzzas gde", "una docena de empanadas de carne", "2 x fugaza chica",
"una coca de litro y medio": the resolver finds the items, sizes and quantities
in code, so tool arguments may be as messy as the model sends them. Everything
here is pure and synchronous; tests exercise it directly.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel

from tools.pizzeria.menu import Menu, MenuItem, load_menu
from tools.text import normalize

MAX_QUANTITY = 30
"""More than this in one line is a phone call, not a chat order."""

_NUMBER_WORDS = {
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13,
    "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
    "veinte": 20, "veintiun": 21, "veintiuno": 21, "veintiuna": 21, "veintidos": 22, "veintitres": 23,
    "veinticuatro": 24, "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28,
    "veintinueve": 29, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "cien": 100,
    "mil": 1000, "millon": 1_000_000, "cero": 0, "ninguna": 0, "ninguno": 0,
}
_DIGITS = re.compile(r"^(?:x)?(\d+(?:[.,]\d+)?(?:e\d+)?)(?:x)?$")
_FRACTION = re.compile(r"^\d+/\d+$")
_HALF = {"media", "medio"}
NOT_WHOLE = "Las cantidades van en unidades enteras, por ejemplo 1 o 2."
UNREADABLE = "No entendí la cantidad. Decime un número, por ejemplo 2."
_CATEGORY_WORDS = {
    "pizza": "pizzas", "pizzas": "pizzas", "empanada": "empanadas", "empanadas": "empanadas",
    "bebida": "bebidas", "bebidas": "bebidas", "gaseosa": "bebidas", "gaseosas": "bebidas",
    "postre": "postres", "postres": "postres",
}
_FILLER = {"de", "del", "la", "las", "el", "los", "con", "y", "e", "mas", "tambien", "x", "por", "porfa"}


class ResolveError(ValueError):
    """A line that cannot be resolved; `str(error)` is a Spanish message for the customer."""


class Line(BaseModel):
    """One resolved order line (prices are looked up later, from the menu)."""

    item_id: str
    size: str
    quantity: int


@dataclass(frozen=True)
class Mention:
    """An item found in free text, with the size and quantity written around it."""

    item_id: str
    size: str | None
    quantity: int | None
    start: int  # token index, for ordering
    problem: str | None = None  # why the written quantity cannot be taken ("media muzza")


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


# --------------------------------------------------------------------------- quantities


def parse_quantity(value: object) -> int | None:
    """A quantity from an int, "2", "dos", "2 x", "x2", "un par", "una docena" (= 12).

    Returns None when nothing numeric is there; raises ResolveError for fractional
    values ("2,5", "dos y media", "1/2") and for values that are no number at all
    (NaN, lists). Negative values ("-3", "menos tres") are returned for
    `check_quantity`, which refuses them (and anything above MAX_QUANTITY) with a reason.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (bool, list, tuple, dict, set)) or (isinstance(value, float) and math.isnan(value)):
        raise ResolveError(UNREADABLE)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isinf(value):
            return int(math.copysign(MAX_QUANTITY + 1, value))  # refused alike by check_quantity
        if not value.is_integer():
            raise ResolveError(NOT_WHOLE)
        return int(value)
    raw = str(value).strip()
    negative = re.match(r"^-\s*(\d+)$", raw)
    if negative:
        return -int(negative.group(1)[:9])  # check_quantity refuses it with a reason; 9 digits say as much as 5000
    tokens = normalize(raw).split()
    if tokens[:1] == ["menos"] and len(tokens) > 1:
        rest = parse_quantity(" ".join(tokens[1:]))
        return -rest if rest is not None else None
    if _HALF & set(tokens) and tokens[:2] != ["media", "docena"] or any(_FRACTION.match(t) for t in tokens):
        raise ResolveError(NOT_WHOLE)
    if tokens[:2] in (["un", "par"], ["par"]):
        return 2
    if tokens[:2] == ["media", "docena"]:
        return 6
    if tokens[:2] in (["una", "docena"], ["1", "docena"]) or tokens[:1] == ["docena"]:
        return 12
    for token in tokens:
        if token in _NUMBER_WORDS:
            return _NUMBER_WORDS[token]
        match = _DIGITS.match(token)
        if match:
            number = Decimal(match.group(1).replace(",", "."))
            if number > MAX_QUANTITY:
                return MAX_QUANTITY + 1  # refused alike; "1e999999999" is never expanded
            if number != int(number):
                raise ResolveError(NOT_WHOLE)
            return int(number)
    return None


def check_quantity(quantity: int) -> int:
    """`quantity` if it is a sensible order quantity, else ResolveError."""
    if quantity < 1:
        raise ResolveError("La cantidad tiene que ser al menos 1.")
    if quantity > MAX_QUANTITY:
        raise ResolveError(
            f"Por chat tomamos hasta {MAX_QUANTITY} unidades de cada cosa. "
            "Para pedidos más grandes llamanos por teléfono."
        )
    return quantity


# --------------------------------------------------------------------------- items and sizes


def resolve_item(text: str, menu: Menu | None = None) -> MenuItem | None:
    """The single menu item `text` names ("muzza", "fugaza", "empanadas de carne"), or None."""
    mentions = find_mentions(text, menu)
    menu = menu or load_menu()
    return menu.item(mentions[0].item_id) if mentions else None


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
    tokens = normalize(_MINUS.sub("menos ", text)).split()
    index = _alias_index(menu)
    spans: list[tuple[int, int, str]] = []  # (start, end, item_id)
    pos = 0
    while pos < len(tokens):
        found = _match_at(tokens, pos, index, fuzzy=False) or _match_at(tokens, pos, index, fuzzy=True)
        if found and not (found[1] == 1 and tokens[pos] in _FILLER):
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
        size = _first_size(item, after, menu) or _first_size(item, before, menu)
        problem = None
        try:
            if "docena" in before or "docenas" in before:
                size, quantity = _dozen(before, item)
            else:
                quantity = _last_quantity(before)
                if quantity is None:
                    quantity = _suffix_quantity(after)
        except ResolveError as exc:
            quantity, problem = None, str(exc)
        mentions.append(Mention(item_id, size, quantity, start, problem))
    return mentions


_MINUS = re.compile(r"(?:^|(?<=\s))-(?=\d)")
"""A minus sign written against a number ("-2 muzzas"); a list dash has a space after it."""


def _dozen(before: list[str], item: MenuItem) -> tuple[str | None, int | None]:
    """"media docena de humita" = 6 units; "dos docenas de carne" = 2 dozens."""
    at = before.index("docena") if "docena" in before else before.index("docenas")
    if at and before[at - 1] in ("media", "1/2"):
        return ("unidad" if "unidad" in item.prices else None), 6
    count = _last_quantity(before[:at])
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


def _last_quantity(tokens: list[str]) -> int | None:
    """The quantity written closest before an item ("y dos de muzza" -> 2, "menos dos" -> -2).

    Raises ResolveError for a fraction right before the item ("media muzza", "2,5 muzzas", "½ muzza");
    "medio litro de coca" is a size, not half a coca.
    """
    nearest = next((t for t in reversed(tokens) if t not in _FILLER), None)
    if nearest in _HALF or (nearest and _FRACTION.match(nearest)):
        raise ResolveError(NOT_WHOLE)
    for pos in range(len(tokens) - 1, -1, -1):
        token = tokens[pos]
        if token == "par" and pos and tokens[pos - 1] == "un":
            return 2
        if token in _NUMBER_WORDS or _DIGITS.match(token):
            quantity = parse_quantity(token)
            return -quantity if quantity and pos and tokens[pos - 1] == "menos" else quantity
    return None


def _suffix_quantity(tokens: list[str]) -> int | None:
    for token in tokens:
        match = re.match(r"^x(\d+)$", token)
        if match:
            return int(match.group(1))
    if len(tokens) >= 2 and tokens[0] == "x" and tokens[1].isdigit():
        return int(tokens[1])
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
            raise ResolveError(f"{menu.item(mention.item_id).name}: {mention.problem}")
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
            raise ResolveError(f"{item.name} viene en: {_size_list(item, menu)}. ¿Cuál querés?")
    if size is None:
        size = category.default_size
    if size is None:
        raise ResolveError(f"¿De qué tamaño querés {item.name}? Tenemos {_size_list(item, menu)}.")
    if size not in item.prices:
        raise ResolveError(f"{item.name} viene en: {_size_list(item, menu)}. ¿Cuál querés?")
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
    prefix = f"No tenemos «{shown}»." if shown else "No entendí qué producto querés."
    return f"{prefix} Opciones: {', '.join(options)}."
