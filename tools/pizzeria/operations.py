"""Domain operations on the conversation state, shared by tools and the coordinator.

Each takes the current state (a mapping) and returns an `Outcome`: the state
delta to record and a Spanish message for the customer. Nothing here trusts a
price, total or identity from the caller: prices come from the menu, the
customer is the session's (`PizzeriaState.customer`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from tools.jsonstore import StoreError
from tools.pizzeria import answers, checkout, replies, stores
from tools.pizzeria.business import load_business
from tools.pizzeria.menu import load_menu
from tools.pizzeria.order import Order
from tools.pizzeria.resolver import find_mentions
from tools.pizzeria.state import PizzeriaState
from tools.text import clean_text, normalize


class Outcome(BaseModel):
    ok: bool
    message: str
    delta: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)

    def result(self) -> dict[str, Any]:
        """The dict a tool returns to the model."""
        return {"ok": self.ok, "message": self.message, **self.data}


# --------------------------------------------------------------------------- names

_INTRODUCTION = re.compile(r"\b(?:me llamo|mi nombre es|soy|me dicen|habla)\s+", re.IGNORECASE)
_NEGATED = re.compile(r"\bno\s*$", re.IGNORECASE)
""""no soy Lucía": who the customer is not."""
_RELATIVE = re.compile(
    r"^(?:(?:su|tu|la|el)\s+)?(?:hermana|hermano|hija|hijo|mam[aá]|pap[aá]|madre|padre|esposa|esposo|mujer|marido|novia|novio|"
    r"pareja|amiga|amigo|prima|primo|t[ií]a|t[ií]o|abuela|abuelo|sobrina|sobrino|vecina|vecino|compañera|compañero)"
    r"(?:\s+de\s+\w+)?[\s,]+", re.IGNORECASE)
"""'soy su hermana Paula': the name comes after who she is to the phone's owner."""
_NOT_NAMES = {
    "hola", "buenas", "buen", "dia", "tardes", "noches", "si", "no", "gracias", "ok", "dale", "quiero",
    "pizza", "pizzas", "menu", "carta", "pedido", "que", "cual", "como", "cuanto", "bien", "todo",
    "de", "del", "celiaco", "celiaca", "vegano", "vegana", "vegetariano", "vegetariana", "cliente", "nuevo", "nueva",
}
_NAME_CHARS = re.compile(r"^[A-Za-zÁÉÍÓÚÜÑáéíóúüñ' -]+$")


def clean_name(raw: str) -> str | None:
    """A plausible person name from `raw` ("juan perez" -> "Juan Perez"), else None."""
    name = re.split(r"[,.!?;]| y | pero ", raw.strip(), maxsplit=1)[0].strip()
    if not (2 <= len(name) <= 40) or not _NAME_CHARS.match(name):
        return None
    parts = name.split()
    if not 1 <= len(parts) <= 4 or normalize(parts[0]) in _NOT_NAMES or find_mentions(name):
        return None
    if any(normalize(p) in _NOT_NAME_WORDS for p in parts):
        return None  # a sentence ("sos el admin ahora"), not a name ("María del Carmen" is fine)
    return " ".join(p[:1].upper() + p[1:] for p in parts)


_NOT_NAME_WORDS = {
    "sos", "soy", "es", "son", "ahora", "yo", "vos", "que", "no", "me", "te", "se",
    "admin", "administrador", "sistema", "bot", "modo", "instrucciones", "ignora",
}

_FUNCTION_WORDS = {
    "el", "la", "los", "las", "un", "una", "que", "con", "por", "para", "mi", "tu", "su", "es", "esta",
    "no", "me", "te", "se", "lo", "le", "al", "del", "en", "ya", "yo", "vos", "sos", "hay", "algo",
}


def introduced_name(text: str) -> str | None:
    """The name in an explicit introduction ("me llamo Ana", "soy Juan Pérez", "no soy Lucía, soy su hermana
    Paula" -> "Paula"); never a bare word."""
    text = text.strip()
    for match in _INTRODUCTION.finditer(text):
        if _NEGATED.search(text[:match.start()]):
            continue
        rest = text[match.end():]
        if name := clean_name(rest[relative.end():] if (relative := _RELATIVE.match(rest)) else rest):
            return name
    return None


def speaks_for_the_owner(text: str) -> bool:
    """Someone else on the phone's owner's behalf ("no soy Lucía, soy su hermana Paula")."""
    return any(_NEGATED.search(text[:m.start()]) or _RELATIVE.match(text[m.end():]) for m in _INTRODUCTION.finditer(text))


def without_introduction(text: str) -> str:
    """The message without the clauses where the customer says who they are and names nothing on the menu
    ("no soy Lucía, soy su hermana Paula. quería una fugazzeta" -> "quería una fugazzeta")."""
    clauses = [c.strip() for c in re.split(r"[,;.!?]+", text)]
    return ", ".join(c for c in clauses if c and not (_INTRODUCTION.search(c) and not find_mentions(c)))


def extract_name(text: str) -> str | None:
    """The name in "me llamo Ana", "soy Juan Pérez" or a bare "Ana"; None when unsure."""
    if _INTRODUCTION.search(text.strip()):
        return introduced_name(text)
    words = normalize(text).split()
    if len(words) > 3 or any(w in _FUNCTION_WORDS for w in words):
        return None  # a sentence, not a bare name: let the user specialist read it
    return clean_name(text)


def register_name(state: Mapping[str, Any], name: str) -> Outcome:
    st = PizzeriaState.of(state)
    cleaned = clean_name(str(name or ""))
    if cleaned is None:
        return Outcome(ok=False, message=replies.name_not_understood())
    try:
        stores.customers().register(st.customer(), cleaned)
    except StoreError:
        return Outcome(ok=False, message=replies.STORE_DOWN)
    return Outcome(
        ok=True,
        message=replies.thanks_for_name(cleaned, ordering=bool(st.current_order.get("items"))),
        delta=PizzeriaState.delta(user_identified=True, user_name=cleaned, awaiting_user_name=False),
        data={"name": cleaned},
    )


def name_for_this_order(state: Mapping[str, Any], name: str) -> Outcome:
    """The order's name when someone orders for the phone's owner: the customer on file keeps theirs."""
    st = PizzeriaState.of(state)
    return Outcome(ok=True, message=replies.thanks_for_name(name, ordering=bool(st.current_order.get("items"))),
                   delta=PizzeriaState.delta(user_name=name), data={"name": name})


# --------------------------------------------------------------------------- address

_TAGS = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_address(raw: str) -> str | None:
    """A deliverable-looking address with markup and control characters removed, else None."""
    text = _CONTROL.sub(" ", _TAGS.sub(" ", html.unescape(clean_text(str(raw or "")))))
    text = re.sub(r"\s+", " ", text).strip(" .,")
    if not (6 <= len(text) <= 160):
        return None
    has_number = bool(re.search(r"\d", text))
    is_corner = bool(re.search(r"\b(y|esq\.?|esquina)\b", text, re.IGNORECASE))
    words = re.findall(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]{2,}", text)
    if not words or not (has_number or is_corner):
        return None
    return text


def save_address(state: Mapping[str, Any], address: str, said: str | None = None) -> Outcome:
    """Keep the order's delivery address; `said`: the customer's message, which must hold it (a model's call)."""
    st = PizzeriaState.of(state)
    cleaned = clean_address(address)
    if cleaned is None or (said is not None and not written_in(cleaned, said)):
        return Outcome(ok=False, message=replies.address_needed())
    try:
        stores.customers().remember_address(st.customer(), cleaned)
    except StoreError:
        pass  # remembering it for next time is a convenience; this order still has it
    return Outcome(ok=True, message=replies.address_noted(cleaned), delta=PizzeriaState.delta(address=cleaned))


STREET_NUMBER = re.compile(r"([a-z]{2,}) (?:n ?|nro ?|numero )?(\d{1,5})\b")
"""A street word and its number in normalized text ("corrientes 1234", "calle 12 nro 1345")."""


def written_in(address: str, said: str) -> bool:
    """Whether the customer's words hold the address's street and number (or, for a corner, its streets).

    A small model copies the example in its tool's docstring ("Av. Corrientes 1234"): never saved."""
    words = normalize(said)
    street = STREET_NUMBER.search(normalize(address))
    if street is not None:
        return re.search(rf"\b{street.group(1)} (?:n ?|nro ?|numero )?{street.group(2)}\b", words) is not None
    names = [w for w in normalize(address).split() if len(w) >= 3 and w not in ("esq", "esquina")]
    return bool(names) and all(w in words.split() for w in names)


# --------------------------------------------------------------------------- confirmation and finalization


def current_order(state: Mapping[str, Any]) -> Order:
    return Order.from_state(PizzeriaState.of(state).current_order, load_menu())


def confirm(state: Mapping[str, Any]) -> Outcome:
    order = current_order(state)
    if order.is_empty:
        return Outcome(ok=False, message=replies.nothing_to_confirm())
    return Outcome(ok=True, message=replies.confirmed(), delta=PizzeriaState.delta(order_confirmed=True, changes_requested=False))


def finalize(state: Mapping[str, Any]) -> Outcome:
    """Save the confirmed order exactly once for this conversation's order key."""
    st = PizzeriaState.of(state)
    order = current_order(state)
    if st.finalized_order_key and st.finalized_order_key == st.order_key and st.last_order_id:
        saved_total = order.total + checkout.delivery_for(st.address).fee
        return Outcome(ok=True, message=_saved_message(st.last_order_id, saved_total, st.payment_method),
                       data={"order_id": st.last_order_id})
    if order.is_empty:
        return Outcome(ok=False, message=replies.nothing_to_save())
    if not st.order_confirmed:
        return Outcome(ok=False, message=replies.confirm_first())
    if not st.address:
        return Outcome(ok=False, message=replies.address_missing())
    if not st.payment_method:
        return Outcome(ok=False, message=replies.payment_missing())
    delivery = checkout.delivery_for(st.address)
    record = {
        "user_id": st.customer(),
        "customer_name": st.user_name,
        "items": [line.model_dump() for line in order.items],
        "delivery_fee": delivery.fee,
        "zone": delivery.zone,
        "total": order.total + delivery.fee,
        "address": st.address,
        "payment_method": checkout.label(st.payment_method),
        "channel": st.channel,  # set by the service: where status changes are sent
        "session_id": st.conversation_id,
    }
    try:
        saved, _created = stores.orders().save_once(st.order_key, record)
    except StoreError:
        return Outcome(ok=False, message=replies.STORE_DOWN)
    return Outcome(
        ok=True,
        message=_saved_message(saved.order_id, saved.total, st.payment_method),
        delta=PizzeriaState.delta(last_order_id=saved.order_id, finalized_order_key=st.order_key),
        data={"order_id": saved.order_id, "total": saved.total},
    )



def _saved_message(order_id: int, total: int, payment_method: str | None) -> str:
    low, high = answers.eta_minutes()
    alias = load_business().transfer_alias if payment_method == "transferencia" else None
    return replies.order_saved(order_id, total, f"{low} a {high} minutos", checkout.label(payment_method), alias)
