"""Turns that step aside from the order and come back to where it was, with no model call.

Questions about hours, delivery, payment, prices and the order's status (answered from data),
thanks and farewells, a name or a corrected name, "lo mismo que la otra vez", and an
order asked while the pizzeria is closed. `plan` returns the fixed reply and the state
delta, or None when the turn is the order's own (`flow.plan_turn` goes on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pizzeria_agent.routing import Route, Topic, asks, info_topic, repeated_with
from tools.jsonstore import StoreError
from tools.pizzeria import answers, checkout, operations, replies, stores
from tools.pizzeria.edits import apply_reading
from tools.pizzeria.menu import load_menu
from tools.pizzeria.order import Order
from tools.pizzeria.reading import read
from tools.pizzeria.state import Phase, PizzeriaState


@dataclass
class Aside:
    delta: dict[str, Any] = field(default_factory=dict)
    reply: str = ""


def plan(st: PizzeriaState, text: str, route: Route) -> Aside | None:
    if st.conversation_phase == Phase.FINALIZACION:
        return None  # a save that failed is retried before anything else
    looked_up = st.conversation_phase != Phase.SALUDO or st.awaiting_user_name
    if route == Route.INFO:
        topic = info_topic(text)
        if topic == Topic.PAYMENT and checkout.awaiting_payment(st):
            return None  # "¿puedo pagar con transferencia?" when asked how: the answer (checkout)
        if (topic == Topic.PAYMENT and st.conversation_phase == Phase.RECOGIENDO_DIRECCION and not asks(text)
                and checkout.payment_said(text)):
            return None  # "transferencia" before the address: the checkout keeps it
        return Aside(reply=_join(_answer(st, topic, text), resume(st)))
    if route == Route.FAREWELL:
        return Aside(reply=_farewell(st))
    if not looked_up:
        return None  # the greeting looks the customer up first, then comes back here
    if route == Route.MENU and (price := answers.prices(text)):  # "¿cuánto sale la napo grande?": the menu's price
        return Aside(reply=_join(price, resume(st)))
    if route == Route.NAME and st.user_name:
        return _rename(st, text)
    if route not in _OPEN_WHILE_CLOSED and st.conversation_phase == Phase.TOMANDO_PEDIDO and answers.is_closed():
        return Aside(reply=replies.closed_no_orders(answers.opens_at()))  # no order turn reaches a model while closed
    if route == Route.REPEAT and st.conversation_phase == Phase.TOMANDO_PEDIDO:
        return _repeat(st, repeated_with(text) or "")
    return None


_OPEN_WHILE_CLOSED = frozenset({Route.MENU, Route.GREETING, Route.NAME, Route.CANCEL})
"""What is still answered while the pizzeria is closed (questions and farewells are answered above)."""


def along_with_order(st: PizzeriaState, text: str) -> Aside | None:
    """A question asked in the same message as an order: its answer, said before the order's ("dos muzzas, ¿llegan a Palermo?").

    A payment method named there is kept for the checkout.
    """
    topic = info_topic(text)
    if topic is None:
        return None
    return Aside(delta=checkout.payment_delta(text) if topic == Topic.PAYMENT else {}, reply=_answer(st, topic, text))


def order_words(text: str) -> str:
    """The message without the clauses that ask a question `along_with_order` answers ("dos de carne, ¿llegan a Palermo?")."""
    clauses = [c.strip() for c in re.split(r"[,;?¿!.]+", text)]
    return ", ".join(c for c in clauses if c and info_topic(c) is None)


def _answer(st: PizzeriaState, topic: Topic | None, text: str) -> str:
    match topic:
        case Topic.HOURS:
            return answers.hours()
        case Topic.DELIVERY:
            return answers.delivery(text)
        case Topic.PAYMENT:
            return answers.payment(text)
    return answers.status(st.user_id, ordering=bool(st.current_order.get("items")))


def resume(st: PizzeriaState) -> str:
    """The question that takes the conversation back to where the order was."""
    match st.conversation_phase:
        case Phase.SALUDO:
            return replies.resume_name() if st.awaiting_user_name else replies.welcome()
        case Phase.CONFIRMANDO_PEDIDO:
            return replies.resume_confirming()
        case Phase.RECOGIENDO_DIRECCION:
            return checkout.ask_payment() if st.address else replies.ask_address(st.saved_address)
    return replies.resume_ordering() if st.current_order.get("items") else replies.resume_start()


def _farewell(st: PizzeriaState) -> str:
    if st.current_order.get("items") and st.conversation_phase != Phase.SALUDO:
        return _join(replies.farewell_pending(), resume(st))
    return replies.farewell(st.user_name, st.last_order_id)


def _rename(st: PizzeriaState, text: str) -> Aside:
    name = operations.introduced_name(text)
    outcome = operations.register_name(st.model_dump(), name or "")
    if not outcome.ok:
        return Aside(reply=outcome.message)
    return Aside(delta=outcome.delta, reply=_join(replies.name_noted(outcome.data["name"]), resume(st)))


def _repeat(st: PizzeriaState, more: str) -> Aside:
    """The customer's last saved order, re-priced from today's menu, with what `more` adds ("y agregale un
    flan"), read back to confirm."""
    try:
        last = stores.orders().latest_for(st.user_id)
    except StoreError:
        return Aside(reply=replies.STORE_DOWN)
    if last is None:
        return Aside(reply=replies.no_previous_order())
    order = Order.from_state({"items": last.items}, load_menu())
    if order.is_empty:
        return Aside(reply=replies.previous_order_gone())
    delta = PizzeriaState.delta(current_order=order.to_state(), conversation_phase=Phase.CONFIRMANDO_PEDIDO,
                                changes_requested=False)
    added = apply_reading({**st.model_dump(), **delta}, read(more)) if more else None
    if added is None or not added.ok:
        return Aside(delta=delta, reply=_join(added.message if added else "", replies.summary(order)))
    order = Order.from_state(added.delta["current_order"], load_menu())
    return Aside(delta={**delta, **added.delta}, reply=replies.summary(order))


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
