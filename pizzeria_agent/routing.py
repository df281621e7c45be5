"""Deterministic turn classification: what kind of message is this, without a model.

Rules look at the normalized text and at which menu items it names. When they
cannot tell, `classify` returns `Route.UNKNOWN` and the coordinator may ask the
model (one short classification call).
"""

from __future__ import annotations

import re
from enum import StrEnum

from tools.pizzeria.operations import STREET_NUMBER, clean_address, introduced_name
from tools.pizzeria.reading import Kind, find_address, read
from tools.pizzeria.resolver import find_mentions
from tools.text import any_word, normalize


class Route(StrEnum):
    CANCEL = "cancel"  # drop the whole order
    DONE = "done"  # "eso es todo": go to confirmation
    MENU = "menu"  # a question about the menu
    ORDER = "order"  # add / remove / change items
    AFFIRM = "affirm"  # yes
    NEGATIVE = "negative"  # no / I want to change something
    GREETING = "greeting"  # hello, nothing else
    ADDRESS = "address"  # only a delivery address, typed before it was asked
    INFO = "info"  # hours, delivery, payment or the order's status (`info_topic`): answered from data
    FAREWELL = "farewell"  # thanks / bye, nothing else
    NAME = "name"  # "me llamo Lucía", "no, soy Lucía": the customer's name (or a correction of it)
    REPEAT = "repeat"  # "lo mismo que la otra vez": the customer's last saved order again
    UNKNOWN = "unknown"


class Topic(StrEnum):
    HOURS = "hours"
    DELIVERY = "delivery"
    PAYMENT = "payment"
    STATUS = "status"


_CANCEL = any_word(r"cancel\w*", r"anul\w*", r"olvidate", r"no quiero nada", r"borr\w* todo", r"no quiero (?:mas )?el pedido", r"dejalo", r"mejor no")
_ALL = any_word(r"todo", r"pedido", r"nada", r"orden")
_DONE = any_word(
    r"eso es todo", r"es todo", r"nada mas", r"nada mas gracias", r"eso nomas", r"eso solo", r"solo eso",
    r"listo", r"ya esta", r"con eso (?:esta|alcanza|basta)", r"con eso", r"termine", r"eso seria todo",
    r"seria todo", r"nada por ahora", r"no nada mas", r"cerramos", r"nomas eso", r"^eso$",
)
_QUESTION_START = re.compile(r"^(?:que|cual|cuales|cuanto|cuantos|cuanta|como|tenes|tienen|hay|tiene|trae|traen|viene|vienen|lleva|llevan|hacen|venden|donde|a que hora|me recomendas|recomendame)\b")
_MENU_WORDS = any_word(
    r"menu", r"carta", r"precio\w*", r"cuanto (?:sale|salen|cuesta|cuestan|esta|estan|vale)", r"que (?:tienen|tenes|hay|pizzas|empanadas|bebidas|gustos|postres|sabores)",
    r"gustos", r"sabores", r"recomend\w*", r"para tomar", r"ingredientes", r"lleva", r"sin tacc", r"vegan\w*", r"veggie",
)
_ORDER_VERBS = any_word(
    r"agreg\w*", r"sum\w*", r"quiero", r"quisiera", r"queria", r"dame", r"mandame", r"mandanos", r"pone\w*", r"traeme", r"pedir", r"pido",
    r"sac\w*", r"quit\w*", r"elimin\w*", r"cambi\w*", r"en vez de", r"mejor", r"que (?:la|el|las|los) .+ sea\w*", r"otra", r"otro", r"una mas", r"uno mas",
)
_AFFIRM = re.compile(
    r"^(?:si+|sip|sep|dale+|ok|oka?y|okey|confirmo|confirmado|confirma|perfecto|de una|correcto|esta bien|todo bien|joya|genial|"
    r"va|claro|exacto|barbaro|buenisimo|listo|obvio|afirmativo|yes|mandale|si dale|si si|asi esta bien|si esta bien|esta perfecto|la misma|a la misma|"
    r"la de siempre|misma direccion|a casa|ahi|si ahi)\b"
)
_NEGATIVE = re.compile(r"^(?:no|nop|nah|espera|pará|para|momento|un momento|quiero cambiar|cambiar|me falta|falta|agregar|modificar)\b")
_GREETING = any_word(r"hola+", r"buenas", r"buen dia", r"buenos dias", r"buenas tardes", r"buenas noches", r"que tal", r"holis", r"hey", r"como va", r"como andas")
_FAREWELL = any_word(
    r"gracia\w*", r"grax", r"chau+", r"chao", r"adios", r"hasta luego", r"hasta manana", r"nos vemos", r"saludos", r"abrazo",
    r"bye", r"mil gracias", r"genio\w*", r"capo\w*",
)
_REPEAT = any_word(r"lo mismo que (?:la )?(?:otra|ultima) vez", r"lo (?:mismo|de siempre)", r"(?:el|lo) (?:mismo )?(?:pedido )?de (?:la )?(?:otra|ultima) vez",
              r"lo mismo que (?:el|la) (?:pedido )?(?:anterior|ultim[oa])", r"repeti\w* (?:el|mi) (?:ultimo )?pedido", r"el pedido de siempre", r"lo de la otra vez")
_NAME = re.compile(r"^(?:(?:hola|buenas|che|no|perdon|perdona|disculpa|en realidad|ah|uy|ups|me confundi|me equivoque)\s+)*"
                   r"(?:me llamo|mi nombre es|soy)\b")
_TOPICS = (
    (Topic.STATUS, any_word(r"(?:como va|donde esta|que pasa con|y) (?:mi|el) pedido", r"mi pedido", r"cuanto (?:tarda\w*|demora\w*|falta\w*|tiempo)",
                       r"ya salio", r"(?:esta|viene) en camino", r"a que hora (?:llega|viene)\w*", r"tarda\w*", r"demora\w*", r"ya (?:viene|llega)\w*")),
    (Topic.DELIVERY, any_word(r"envio\w*", r"envian", r"delivery", r"zona\w*", r"reparto", r"barrio\w*",
                         r"(?:llegan|llegas|llega|mandan|mandas|entregan|reparten|van) (?:a|hasta|por)")),
    (Topic.PAYMENT, any_word(r"pag\w*", r"abon\w*", r"transferencia\w*", r"transfe\w*", r"efectivo", r"tarjeta\w*", r"mercado ?pago", r"debito",
                        r"credito", r"alias", r"cbu", r"posnet", r"medios? de pago")),
    (Topic.HOURS, any_word(r"horario\w*", r"hora\w*", r"abren", r"abris", r"cierran", r"cerras", r"abiert\w*", r"cerrad\w*", r"atienden",
                      r"que dias", r"hasta (?:que|q) hora")),
)


def info_topic(text: str) -> Topic | None:
    """What a question about the pizzeria (not the menu) is about, if it is one."""
    norm = normalize(text)
    return next((topic for topic, pattern in _TOPICS if pattern.search(norm)), None)


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
    if mentions and (more := repeated_with(text)) and (extra := read(more)).complete and len(extra.mentions) == len(mentions):
        return Route.REPEAT  # "haceme lo mismo que la última vez y agregale un flan": the last order, then the flan
    if reading.edits:
        return Route.ORDER  # "que sean dos", "mejor hacela chica", "la grande, no la chica"
    is_question = asks(text)
    if _REPEAT.search(norm) and not mentions:
        return Route.REPEAT
    if _NAME.match(norm) and not mentions and introduced_name(text):
        return Route.NAME
    if (not mentions and not _ORDER_VERBS.search(norm) and info_topic(norm) and not looks_like_address(text)
            and (is_question or (len(words) <= 6 and not _AFFIRM.match(norm)))):
        return Route.INFO
    if mentions and info_topic(norm) and not _MENU_WORDS.search(norm):
        return Route.ORDER  # "y dos de carne, ¿llegan a Palermo?": the order, with the answer in front (asides.py)
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
    if _GREETING.search(norm) and len(words) <= 5 and not _FAREWELL.search(norm):
        return Route.GREETING
    if _FAREWELL.search(norm) and len(words) <= 8:
        return Route.FAREWELL
    if find_address(text)[1]:
        return Route.ADDRESS
    return Route.UNKNOWN


def repeated_with(text: str) -> str | None:
    """The words after "lo mismo que la última vez" ("... y agregale un flan" -> "y agregale un flan"), "" when
    none; None when the message does not ask for the last order again."""
    norm = normalize(text)
    match = _REPEAT.search(norm)
    return norm[match.end():].strip() if match else None


def asks(text: str) -> bool:
    """A question ("¿llegan a Palermo?", "se puede pagar con transferencia?", "tienen fainá")."""
    return "?" in text or bool(_QUESTION_START.match(normalize(text)))


def looks_like_address(text: str) -> bool:
    """A message that is clearly an address ("Av. Corrientes 1234 5B", "Belgrano 1500, Quilmes").

    A street followed by a number wins over item names ("Quilmes" is also a beer),
    unless the message also asks or orders something.
    """
    norm = normalize(text)
    return (
        clean_address(text) is not None
        and STREET_NUMBER.search(norm) is not None
        and not _ORDER_VERBS.search(norm)
        and "?" not in text
        and not _QUESTION_START.match(norm)
    )
