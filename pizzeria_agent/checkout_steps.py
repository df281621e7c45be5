"""The checkout's steps in the address phase: the zone's minimum, the delivery fee and the payment method.

Once an address is taken the order is saved only with a payment method; one the
customer already named (with the "sí" or the address) is not asked again. An order
below the minimum of the zone its address names goes back to ordering, address kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pizzeria_agent.routing import Route
from tools.pizzeria import checkout, operations, replies
from tools.pizzeria.state import Phase, PizzeriaState


@dataclass
class Next:
    """Record `delta`, then save the order (`save`) or say `reply`."""

    delta: dict[str, Any] = field(default_factory=dict)
    reply: str = ""
    save: bool = False


def after_address(st: PizzeriaState, delta: dict[str, Any], noted: bool = False) -> Next:
    """`st` has the address just taken (`delta` records it; `noted`: the customer was already told so)."""
    address = st.address or ""
    order = operations.current_order(st.model_dump())
    if (short := checkout.below_minimum(order, address)) is not None:
        back = PizzeriaState.delta(conversation_phase=Phase.TOMANDO_PEDIDO, order_confirmed=False, address=None,
                                   saved_address=address)
        return Next(delta={**delta, **back}, reply=short)
    if st.payment_method:
        return Next(delta=delta, save=True)
    noting = None if noted else replies.address_noted(address)
    said = " ".join(p for p in (noting, checkout.fee_line(order, address), checkout.ask_payment()) if p)
    return Next(delta=delta, reply=said)


def pay(text: str, route: Route) -> Next | None:
    """The answer to "¿cómo vas a pagar?"; None when the customer goes back to the order instead."""
    if (paid := checkout.payment_delta(text)):
        return Next(delta=paid, save=True)
    if route in (Route.ORDER, Route.NEGATIVE, Route.CANCEL):
        return None
    return Next(reply=checkout.ask_payment())
