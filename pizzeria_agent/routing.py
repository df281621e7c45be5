"""Deterministic turn classification: what kind of message is this, without a model.

Rules look at the normalized text and at which menu items it names. When they
cannot tell, `classify` returns `Route.UNKNOWN` and the coordinator may ask the
model (one short classification call).
"""

from __future__ import annotations

import re
from enum import StrEnum

from tools.pizzeria.operations import clean_address
from tools.pizzeria.reading import Kind, find_address, read
from tools.pizzeria.resolver import find_mentions
from tools.text import normalize


class Route(StrEnum):
    CANCEL = "cancel"  # drop the whole order
    DONE = "done"  # "eso es todo": go to confirmation
    MENU = "menu"  # a question about the menu
    ORDER = "order"  # add / remove / change items
    AFFIRM = "affirm"  # yes
    NEGATIVE = "negative"  # no / I want to change something
    GREETING = "greeting"  # hello / thanks, nothing else
    ADDRESS = "address"  # only a delivery address, typed before it was asked
    UNKNOWN = "unknown"


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


_CANCEL = _rx(r"cancel\w*", r"anul\w*", r"olvidate", r"no quiero nada", r"borr\w* todo", r"no quiero (?:mas )?el pedido", r"dejalo", r"mejor no")
_ALL = _rx(r"todo", r"pedido", r"nada", r"orden")
_DONE = _rx(
    r"eso es todo", r"es todo", r"nada mas", r"nada mas gracias", r"eso nomas", r"eso solo", r"solo eso",
    r"listo", r"ya esta", r"con eso (?:esta|alcanza|basta)", r"con eso", r"termine", r"eso seria todo",
    r"seria todo", r"nada por ahora", r"no nada mas", r"cerramos", r"nomas eso", r"^eso$",
)
_QUESTION_START = re.compile(r"^(?:que|cual|cuales|cuanto|cuantos|cuanta|como|tenes|tienen|hay|tiene|trae|traen|viene|vienen|lleva|llevan|hacen|venden|donde|a que hora|me recomendas|recomendame)\b")
_MENU_WORDS = _rx(
    r"menu", r"carta", r"precio\w*", r"cuanto (?:sale|salen|cuesta|cuestan|esta|estan|vale)", r"que (?:tienen|tenes|hay|pizzas|empanadas|bebidas|gustos|postres|sabores)",
    r"gustos", r"sabores", r"recomend\w*", r"para tomar", r"ingredientes", r"lleva", r"sin tacc", r"vegan\w*", r"veggie",
)
_ORDER_VERBS = _rx(
    r"agreg\w*", r"sum\w*", r"quiero", r"quisiera", r"queria", r"dame", r"mandame", r"mandanos", r"pone\w*", r"traeme", r"pedir", r"pido",
    r"sac\w*", r"quit\w*", r"elimin\w*", r"cambi\w*", r"en vez de", r"mejor", r"que (?:la|el|las|los) .+ sea\w*", r"otra", r"otro", r"una mas", r"uno mas",
)
_AFFIRM = re.compile(
    r"^(?:si+|sip|sep|dale+|ok|oka?y|okey|confirmo|confirmado|confirma|perfecto|de una|correcto|esta bien|todo bien|joya|genial|"
    r"va|claro|exacto|barbaro|buenisimo|listo|obvio|afirmativo|yes|mandale|si dale|si si|asi esta bien|si esta bien|esta perfecto|la misma|a la misma|"
    r"la de siempre|misma direccion|a casa|ahi|si ahi)\b"
)
_NEGATIVE = re.compile(r"^(?:no|nop|nah|espera|pará|para|momento|un momento|quiero cambiar|cambiar|me falta|falta|agregar|modificar)\b")
_STREET_NUMBER = re.compile(r"[a-z]{2,} (?:n ?|nro ?|numero )?\d{1,5}\b")
_GREETING = _rx(r"hola+", r"buenas", r"buen dia", r"buenos dias", r"buenas tardes", r"buenas noches", r"que tal", r"gracias", r"muchas gracias", r"holis", r"hey", r"como va", r"como andas")


def classify(text: str) -> Route:
    """The route of one customer message by rules alone."""
    norm = normalize(text)
    if not norm:
        return Route.UNKNOWN
    mentions = find_mentions(norm)
    words = norm.split()
    reading = read(text)
    if reading.kind == Kind.UNDO and reading.edits:
        return Route.ORDER  # "dejalo como estaba" is no cancel
    if _CANCEL.search(norm) and (not mentions or _ALL.search(norm)):
        return Route.CANCEL
    if reading.edits:
        return Route.ORDER  # "que sean dos", "mejor hacela chica", "la grande, no la chica"
    is_question = "?" in text or bool(_QUESTION_START.match(norm))
    if (is_question or _MENU_WORDS.search(norm)) and not _ORDER_VERBS.search(norm):
        return Route.MENU
    if _NEGATIVE.match(norm) and not mentions and len(words) <= 8:
        return Route.NEGATIVE
    if mentions or _ORDER_VERBS.search(norm):
        if _DONE.search(norm) and not mentions:
            return Route.DONE
        return Route.ORDER
    if _DONE.search(norm) and len(words) <= 8:
        return Route.DONE
    if _AFFIRM.match(norm) and len(words) <= 6:
        return Route.AFFIRM
    if _GREETING.search(norm) and len(words) <= 5:
        return Route.GREETING
    if find_address(text)[1]:
        return Route.ADDRESS
    return Route.UNKNOWN


def looks_like_address(text: str) -> bool:
    """A message that is clearly an address ("Av. Corrientes 1234 5B", "Belgrano 1500, Quilmes").

    A street followed by a number wins over item names ("Quilmes" is also a beer),
    unless the message also asks or orders something.
    """
    norm = normalize(text)
    return (
        clean_address(text) is not None
        and _STREET_NUMBER.search(norm) is not None
        and not _ORDER_VERBS.search(norm)
        and "?" not in text
        and not _QUESTION_START.match(norm)
    )
