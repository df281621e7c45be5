"""The customer's message read into the edit it asks for, in code, before any model is asked.

`read(text)` finds, with the resolver, every item, quantity and size the message names and
the kind of edit its words ask for: add, remove, change (with the item named or not), swap
("cambiá la napo por una de jamón") or undo ("no, dejala como estaba"). `Reading.complete`
says every word was understood, so code may act alone; `find_address` picks out a delivery
address typed before the address step. Pure and synchronous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from tools.pizzeria.menu import Menu, MenuItem, load_menu
from tools.pizzeria.notes import find_notes
from tools.pizzeria.operations import STREET_NUMBER, clean_address
from tools.pizzeria.quantities import FILLER
from tools.pizzeria.resolver import (
    Mention,
    find_mentions,
    mention_tokens,
    parse_quantity_word,
    resolve_size,
)
from tools.text import any_word, normalize


class Kind(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    CHANGE = "change"
    SWAP = "swap"
    UNDO = "undo"


_UNDO = any_word(r"como estaba\w*", r"deshac\w*", r"deshaz\w*", r"volv\w* atras", r"volve\w* a como", r"como antes",
            r"lo de antes", r"como era")
_REMOVE = any_word(r"sac\w*", r"quit\w*", r"elimin\w*", r"borr\w*", r"cancel\w*")
_SWAP_WORD = any_word(r"por", r"x", r"en vez del?", r"en lugar del?")
INSTEAD = re.compile(r"\b(?:en vez del?|en lugar del?)\b")
_CHANGE = any_word(r"cambi\w*", r"mejor", r"que sea\w*", r"sea", r"sean", r"hace\w*", r"hacel\w*", r"en realidad", r"eran?",
              r"perdon", r"corrijo", r"pasal\w*", r"pasa\w* a", r"dejal\w*", r"ponel\w* (?:chica|mediana|grande)",
              r"no (?:la|el|las|los) \w+$")
_SET_TO = re.compile(r"\b(?:sean|eran|son|serian|fueran|ponele|poneme|dejala\w*|hacel\w*)\s+(\w+)")
_JUST_ONE = re.compile(r"\b(?:una sola|uno solo|solo una|solo uno|solamente una|solamente uno)\b")
_ONE_OF_THE = re.compile(r"\b(\w+) de (?:las|los) \w+ $")
""""una de las dos muzzas": the count taken is the one before "de las", not the line's."""
_NOT_THIS = re.compile(r"(?<=\s)no (?:la |el |las |los |una |un )?\w+")
"""", no la chica": the size the customer says it is not (never a leading "no,")."""
GLUE = frozenset(
    "hola holaa holis buenas buen buenos dia dias tardes noches che que tal como va gracias porfa favor por please plis "
    "quiero quiere queria quisiera querria queremos dame danos mandame mandanos manda mandar agrega agregame agregale "
    "agregar agregamos agregue suma sumame sumale sumar pone poneme ponele poner traeme traenos trae traer pedir pido "
    "pedimos vamos con me nos a para tambien ademas mas otra otro otras otros y e de del la el las los un una unos unas "
    "uno x si dale ok bueno bue entonces ahora aca eh ah mmm podes podrias puede puedo das da seria serian sea sean "
    "pizza pizzas empanada empanadas bebida bebidas postre postres gaseosa porcion porciones soy llamo mi nombre es "
    "tipo onda nomas solo sola solamente cada unidad unidades mandala mandalo mandalas mandalos traela traelo llevala "
    "llevalo envialo enviala media medio mitad nah ups uy hoy".split()
)
"""Words that say nothing beyond the items, sizes and quantities the resolver reads."""
_EDIT_WORDS = frozenset(
    "cambia cambiame cambiala cambialo cambiar cambio mejor hacela hacelo hace haceme sean eran era en realidad perdon "
    "corrijo sacame saca sacala sacalo sacalas sacalos sacar quita quitame quitala elimina borra borrame vez lugar no "
    "dejala dejalo pasala pasalo ponela ponelo las dos".split()
)


@dataclass(frozen=True)
class Reading:
    """What one customer message asks of the order."""

    kind: Kind | None
    mentions: list[Mention] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)  # size words with no item ("mejor chica"), customer's order
    quantity: int | None = None  # a number not next to an item ("que sean dos", "una de las dos")
    of_lines: int | None = None  # "de las dos": the line with that many units
    replacement: list[str] = field(default_factory=list)  # words after "por" that no item matched ("una de jamón")
    replaces_last: bool = False  # "cambiala por una calabresa": the one item named replaces the line last touched
    complete: bool = False  # every word understood: code may act without the model
    text: str = ""  # normalized
    text_raw: str = ""

    @property
    def edits(self) -> bool:
        """Words that settle an edit other than an add: code acts on them (never a question)."""
        if "?" in self.text_raw or self.kind in (None, Kind.ADD):
            return False
        return self.kind != Kind.CHANGE or bool(self.mentions or self.sizes or self.quantity)


def read(text: str, ignore: frozenset[str] = frozenset(), menu: Menu | None = None) -> Reading:
    """The edit `text` asks for (`ignore`: words already accounted for, e.g. the customer's name)."""
    menu = menu or load_menu()
    tokens = mention_tokens(text)
    norm = " ".join(tokens)
    mentions = find_mentions(norm, menu)
    used = {i for m in mentions for i in range(m.start, m.end)}
    size_words = _size_tokens(menu)
    leftover = [t for i, t in enumerate(tokens) if i not in used]
    noted = {w for _, note in find_notes(text, menu) for w in note.split()}  # "sin aceitunas": the add path reads it
    unknown = [t for t in leftover if t not in GLUE and t not in ignore and t not in size_words and t not in _EDIT_WORDS
               and parse_quantity_word(t) is None and t not in FILLER and t not in noted]
    kind = _kind(norm, mentions)
    replaces_last = kind == Kind.SWAP and len(mentions) == 1 and _named_after_por(tokens, mentions[0])
    sizes, quantity, of_lines = [], None, None
    if kind in (Kind.CHANGE, Kind.REMOVE):
        kept = _NOT_THIS.sub(" ", " ".join(leftover))  # the words around the items ("que sean 3")
        sizes = [] if mentions else _sizes_in(kept, menu)
        if mentions:  # only a number the words set ("que sean 3", "una sola"), never "la de 4 pedazos"
            quantity = next((parse_quantity_word(m.group(1)) for m in _SET_TO.finditer(kept)), None)
            if quantity is None and _JUST_ONE.search(kept):
                quantity = 1
            if kind == Kind.REMOVE:
                mentions = [_one_of_the(m, tokens) for m in mentions]
        else:
            quantity, of_lines = _bare_quantity(kept, sized=bool(sizes))
    replacement = []
    if kind == Kind.SWAP and len(mentions) == 1 and not replaces_last:
        after = re.split(r"\b(?:por|x)\b", norm, maxsplit=1)
        replacement = [t for t in (after[1].split() if len(after) > 1 else []) if t not in GLUE and t not in FILLER]
    if kind == Kind.CHANGE and len(mentions) == 1 and _SWAP_WORD.search(norm) and not _has_size(mentions[0], norm, menu):
        kind = None  # "cambiá la muzza por ..." with nothing readable after: the model reads it
    complete = not unknown and kind is not None and "?" not in text  # a problem ("media muzza") is said by code
    return Reading(kind, mentions, sizes, quantity, of_lines, replacement, replaces_last, complete, norm, text)


def _named_after_por(tokens: list[str], mention: Mention) -> bool:
    """"cambiala por una calabresa": the only item named comes after "por" (the old one is not named)."""
    return any(t in ("por", "x") for t in tokens[:mention.start])


def _one_of_the(mention: Mention, tokens: list[str]) -> Mention:
    """"sacá una de las dos muzzas" takes one: the number before "de las" is the count removed."""
    before = " ".join(tokens[:mention.start]) + " "
    match = _ONE_OF_THE.search(before)
    count = parse_quantity_word(match.group(1)) if match else None
    return replace(mention, quantity=count) if count is not None else mention


def _kind(norm: str, mentions: list[Mention]) -> Kind | None:
    if _UNDO.search(norm):
        return Kind.UNDO
    if _REMOVE.search(norm):
        return Kind.REMOVE
    if _CHANGE.search(norm) and len(mentions) == 1 and _named_after_por(norm.split(), mentions[0]):
        return Kind.SWAP  # "cambiala por una calabresa"
    if _SWAP_WORD.search(norm) and (len(mentions) == 2 and mentions[0].item_id != mentions[1].item_id
                                    or len(mentions) == 1 and INSTEAD.search(norm) is None and _CHANGE.search(norm)
                                    and _after_por_unread(norm, mentions[0])):
        return Kind.SWAP
    if _CHANGE.search(norm):
        return Kind.CHANGE if len(mentions) <= 1 else None
    return Kind.ADD if mentions else None


def _after_por_unread(norm: str, mention: Mention) -> bool:
    """"cambiá la napo por una de jamón": words after "por" name no size (then they name the new item)."""
    tokens = norm.split()
    at = next((i for i in range(mention.end, len(tokens)) if tokens[i] in ("por", "x")), None)
    if at is None:
        return False
    rest = [t for t in tokens[at + 1:] if t not in GLUE and t not in FILLER and parse_quantity_word(t) is None]
    item = load_menu().item(mention.item_id)
    return bool(rest) and resolve_size(item, " ".join(rest)) is None


def _has_size(mention: Mention, norm: str, menu: Menu) -> bool:
    return mention.size is not None or resolve_size(menu.item(mention.item_id), norm, menu) is not None


def _size_tokens(menu: Menu) -> frozenset[str]:
    return frozenset(t for c in menu.categories for s_id, s in c.sizes.items()
                     for alias in [s_id, s.label, *s.aliases] for t in normalize(alias).split())


def _sizes_in(norm: str, menu: Menu) -> list[str]:
    """Size words of any category, in the customer's order ("mejor mediana" -> ["mediana"])."""
    found = []
    for token in norm.split():
        for category in menu.categories:
            for size_id, size in category.sizes.items():
                if token in {normalize(a) for a in [size_id, *size.aliases]} and token not in found:
                    found.append(token)
    return found


def _bare_quantity(norm: str, sized: bool) -> tuple[int | None, int | None]:
    """("que sean dos" -> 2), ("una de las dos" -> 1 of the line with 2); "una chica" is a size, not a count."""
    tokens = norm.split()
    of_lines = None
    for i in range(len(tokens) - 2):
        if tokens[i] == "de" and tokens[i + 1] in ("las", "los"):
            of_lines = parse_quantity_word(tokens[i + 2])
    for token in tokens:
        number = parse_quantity_word(token)
        if number is not None and not (sized and token in ("un", "una", "uno")):
            return number, of_lines
    return None, of_lines


def replacement_item(words: list[str], like: MenuItem, menu: Menu) -> MenuItem | None:
    """The one item of `like`'s category whose name starts with one of `words` ("jamón" -> Jamón y morrones)."""
    found = {i.id: i for i in menu.category_of(like).items for w in words if normalize(i.name).split()[0] == w}
    return next(iter(found.values())) if len(found) == 1 else None


# --------------------------------------------------------------------------- an address typed early

_ADDRESS_AT = re.compile(
    r"(?:^|[\s,.;])(?:mi direcci[oó]n es|direcci[oó]n:?|vivo en|estoy en|(?:es |son |todo )?(?:para|a|en)(?: la calle| calle)?)"
    r"\s+(?P<address>\S.*)$", re.IGNORECASE)
_TAIL_WORDS = frozenset(
    "piso depto dpto dto departamento pb planta baja timbre casa torre lote of oficina local entre esq esquina y e "
    "n nro numero bis".split()
)
"""Words that may follow the street number before the first comma ("3ro B", "piso 5", "PB")."""
_STREET_CONNECTORS = frozenset("de del la las los y e a".split())
_FLOOR = re.compile(r"^(?:\d{1,4}[a-z]{0,3}|[a-z])$")


def find_address(text: str, menu: Menu | None = None) -> tuple[str, str | None]:
    """(the message without it, the delivery address typed in it), or (text, None).

    The address runs to the end of the message or to the clause that orders ("Thames 1500, Palermo porfa,
    una fugazzeta grande": the address is "Thames 1500, Palermo", the fugazzeta stays in the message).
    """
    menu = menu or load_menu()
    for before, candidate in [("", text), *_after_triggers(text)]:
        candidate = _COURTESY.sub("", candidate.strip())  # "... en thames 1500 dale"
        if is_address(candidate, menu):
            address, after = _address_and_order(candidate, menu)
            rest = ", ".join(p for p in (before.strip(" ,.;"), after) if p)
            return rest, clean_address(address)
    return text, None


def _after_triggers(text: str) -> list[tuple[str, str]]:
    """(what comes before, what follows) each "a", "en", "para", "mi dirección es"... ("a lo de mi vieja en Thames 1500")."""
    found, at = [], 0
    while (match := _ADDRESS_AT.search(text, at)) is not None:
        found.append((text[:match.start()], match.group("address")))
        at = match.start() + 1
    return found


_COURTESY = re.compile(r"(?:[\s,]+(?:porfa|por favor|plis|please|gracias|dale|che|genial)[!.]*)+\s*$", re.IGNORECASE)


def _address_and_order(candidate: str, menu: Menu) -> tuple[str, str]:
    """(the address, the clauses after it that order): a clause naming an item with a quantity or a size
    ("una fugazzeta grande", "y dos muzzas") or starting with the customer's voice ("dame...") is the order's;
    a bare place is the address's ("Mitre 455, quilmes" is a city, not a beer)."""
    clauses = candidate.split(",")
    for n, clause in enumerate(clauses[1:], 1):
        tokens = normalize(clause).split()
        ordered = any(m.quantity is not None or m.size is not None for m in find_mentions(clause, menu))
        if ordered or (tokens and _voice(tokens[0])):
            return _COURTESY.sub("", ",".join(clauses[:n])), ",".join(clauses[n:]).strip()
    return _COURTESY.sub("", candidate), ""


def is_address(text: str, menu: Menu | None = None) -> bool:
    """A street with a number and no item before the number ("Av Cabildo 2040 3ro B", "Mitre 455, Quilmes").

    Before the number only street words (no "sacá", "aplicame", "dame"); after it, up to the first
    comma, only a floor, a flat or a capitalized place: "100 % de descuento", "2 muzzas", "4 personas"
    are not addresses.
    """
    if "%" in text or "$" in text:
        return False
    norm = normalize(text)
    tokens = norm.split()
    street = STREET_NUMBER.search(norm)
    if clean_address(text) is None or street is None or not tokens or tokens[0] in GLUE or parse_quantity_word(tokens[0]):
        return False
    number_at = len(norm[:street.end()].split()) - 1
    before = tokens[:number_at]
    if len(before) > 6 or any(_voice(t) for t in before):
        return False
    if not _address_tail(text, number_at):
        return False
    return not any(m.start < number_at for m in find_mentions(norm, menu or load_menu()))


def _voice(token: str) -> bool:
    """A word of the customer's voice, not of a street name ("dame", "cobrame", "aplicame")."""
    return (token in GLUE or token in _EDIT_WORDS or (len(token) >= 6 and token.endswith("me"))) and token not in _STREET_CONNECTORS


def _address_tail(text: str, number_at: int) -> bool:
    """What follows the street number up to the first comma is a floor, a flat or a capitalized place."""
    raw = text.split()
    rest = re.sub(r"^\D*\d+", "", " ".join(raw[_raw_index(raw, number_at):]))  # from just after the number
    first, _, _ = rest.partition(",")
    for word in first.split():
        token = normalize(word)
        if not token or token in _TAIL_WORDS or _FLOOR.match(token) or word[:1].isupper():
            continue
        return False
    return True


def _raw_index(raw: list[str], token_at: int) -> int:
    """The index of the raw word holding normalized token `token_at`."""
    seen = 0
    for i, word in enumerate(raw):
        seen += len(normalize(word).split())
        if seen > token_at:
            return i
    return len(raw) - 1
