"""Checkout: the payment method asked before saving, and the delivery fee and minimum of the address's zone.

The fee is the zone's (`pizzeria.json`) when the address names a zone after its street
and number ("Gorriti 4500, Palermo"); an address naming none is taken with no fee (the
zone is settled on the phone, as a pizzeria does). The minimum is checked against the
items' total, from the menu.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from tools.pizzeria import replies
from tools.pizzeria.business import PaymentMethod, Zone, load_business
from tools.pizzeria.order import Order
from tools.pizzeria.state import Phase, PizzeriaState
from tools.text import normalize

_PAY_WORDS = {"pago", "pagamos", "pagaria", "pagar", "abono", "abonamos", "abonar", "con", "en", "y", "voy", "a", "te", "lo", "por"}


class Delivery(BaseModel):
    """What the address adds to the order: the zone it names (if any) and its fee."""

    zone: str | None = None
    fee: int = 0
    minimum: int = 0


def delivery_for(address: str | None) -> Delivery:
    zone: Zone | None = load_business().address_zone(address or "")
    return Delivery(zone=zone.barrio, fee=zone.fee, minimum=zone.minimum) if zone else Delivery()


def payment_said(text: str) -> PaymentMethod | None:
    return load_business().payment_in(text)


def payment_delta(text: str) -> dict[str, Any]:
    """The payment method a message names ("sí, pago con transferencia"), as a state delta; {} when none."""
    method = payment_said(text)
    return PizzeriaState.delta(payment_method=method.id) if method else {}


def without_payment(text: str) -> str:
    """An address with the payment words cut off: "Corrientes 1234, pago en efectivo" -> "Corrientes 1234"."""
    tokens = re.findall(r"\S+", text)
    for n in range(len(tokens)):
        starts_here = payment_said(tokens[n]) or (
            payment_said(" ".join(tokens[n:n + 2])) and not payment_said(" ".join(tokens[n + 1:n + 2])))
        if starts_here:
            cut = n
            while cut > 0 and normalize(tokens[cut - 1]) in _PAY_WORDS:
                cut -= 1
            return " ".join(tokens[:cut]).strip(" ,.;-") or text
    return text


def label(method_id: str | None) -> str | None:
    return next((m.label for m in load_business().payment_methods if m.id == method_id), None)


def awaiting_payment(st: PizzeriaState) -> bool:
    return st.conversation_phase == Phase.RECOGIENDO_DIRECCION and bool(st.address) and not st.payment_method


def ask_payment() -> str:
    return replies.ask_payment([m.label for m in load_business().payment_methods])


def below_minimum(order: Order, address: str) -> str | None:
    """Why this order cannot go to this address (the zone's minimum), or None."""
    delivery = delivery_for(address)
    if delivery.zone and order.total < delivery.minimum:
        return replies.below_minimum(delivery.zone, delivery.minimum, order.total)
    return None


def fee_line(order: Order, address: str) -> str:
    """The delivery fee and the new total, said once the address is taken ("" when no zone was named)."""
    delivery = delivery_for(address)
    return replies.delivery_fee(delivery.zone, delivery.fee, order.total + delivery.fee) if delivery.zone else ""
