"""The conversation's state machine, as pure decisions over typed state.

`plan_turn` decides what to do with a customer message; `after_specialist`
decides the transition once a specialist has run, from what its tools recorded
in state. Neither reads model text: phases change only on state and rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pizzeria_agent import asides, checkout_steps
from pizzeria_agent.routing import Route, looks_like_address
from pizzeria_agent.specialists import Specialist
from tools.jsonstore import StoreError
from tools.pizzeria import checkout, operations, replies, stores
from tools.pizzeria.edits import apply_reading
from tools.pizzeria.reading import find_address, read
from tools.pizzeria.resolver import find_mentions
from tools.pizzeria.state import Phase, PizzeriaState, new_order_state
from tools.text import normalize

USER, MENU, ORDER, CONFIRM, ADDRESS = (
    Specialist.USER, Specialist.MENU, Specialist.ORDER, Specialist.CONFIRMATION, Specialist.ADDRESS,
)


@dataclass
class Step:
    """Record `delta`, say `reply` (if any), then run specialist `agent` (if any)."""

    delta: dict[str, Any] = field(default_factory=dict)
    reply: str | None = None
    agent: Specialist | None = None


def _phase(phase: Phase, **extra: Any) -> dict[str, Any]:
    return PizzeriaState.delta(conversation_phase=phase, **extra)


def plan_turn(st: PizzeriaState, text: str, route: Route) -> Step:
    if (aside := asides.plan(st, text, route)) is not None:  # questions, thanks, names, closed hours (asides.py)
        return Step(delta=aside.delta, reply=aside.reply)
    if st.conversation_phase == Phase.SALUDO:
        return _greeting(st, text, route)
    if route == Route.CANCEL:
        return Step(delta={**new_order_state(), **_phase(Phase.TOMANDO_PEDIDO)}, reply=replies.cancelled())
    if st.conversation_phase == Phase.FINALIZACION:
        return _finalize(st, {})  # a save that failed is retried before anything else
    if route == Route.MENU:
        return Step(agent=MENU)
    match st.conversation_phase:
        case Phase.TOMANDO_PEDIDO:
            return _taking_order(st, text, route)
        case Phase.CONFIRMANDO_PEDIDO:
            return _confirming(st, text, route)
        case _:
            return _collecting_address(st, text, route)


def _greeting(st: PizzeriaState, text: str, route: Route) -> Step:
    if st.awaiting_user_name:
        name = operations.extract_name(text)
        if name is None and route in (Route.ORDER, Route.MENU):
            # Asked once; a customer who goes straight to ordering is not asked again.
            skipped = st.model_copy(update={"awaiting_user_name": False, "conversation_phase": Phase.TOMANDO_PEDIDO})
            step = plan_turn(skipped, text, route)
            return Step(delta={**_phase(Phase.TOMANDO_PEDIDO, awaiting_user_name=False), **step.delta},
                        reply=step.reply, agent=step.agent)
        if name is None:
            return Step(agent=USER)
        outcome = operations.register_name(st.model_dump(), name)
        if not outcome.ok:
            return Step(reply=outcome.message)
        named = {**outcome.delta, **_phase(Phase.TOMANDO_PEDIDO)}
        if route in (Route.ORDER, Route.MENU):  # "hola, soy Ana. quiero dos muzzas grandes": the order too
            step = plan_turn(st.model_copy(update=PizzeriaState.of({**st.model_dump(), **named}).model_dump()), text, route)
            return Step(delta={**named, **step.delta}, reply=f"{replies.thanks(name)} {step.reply or ''}".strip(),
                        agent=step.agent)
        return Step(delta=named, reply=outcome.message)
    try:
        customer = stores.customers().get(st.customer())
    except StoreError:
        customer = None
    if customer is None:
        if route == Route.ORDER and not operations.introduced_name(text) and not find_mentions(text):
            return Step(delta=PizzeriaState.delta(awaiting_user_name=True), reply=replies.welcome_new())  # "buenas, para pedir"
        if operations.introduced_name(text) or route in (Route.ORDER, Route.MENU):
            # "hola, me llamo Ana" or "quiero dos muzzas" as the first message: act on it now
            # (an order is never dropped to ask for a name; the name can come later).
            step = _greeting(st.model_copy(update={"awaiting_user_name": True}), text, route)
            greeting = f"{replies.welcome()} " if step.agent or route in (Route.ORDER, Route.MENU) else ""
            return Step(delta=PizzeriaState.delta(awaiting_user_name=True) | step.delta,
                        reply=f"{greeting}{step.reply or ''}".strip() or None, agent=step.agent)
        return Step(delta=PizzeriaState.delta(awaiting_user_name=True), reply=replies.welcome_new())
    known = _phase(Phase.TOMANDO_PEDIDO, user_identified=True, user_name=customer.name, saved_address=customer.address)
    if route in (Route.GREETING, Route.UNKNOWN, Route.AFFIRM, Route.NEGATIVE, Route.DONE, Route.CANCEL):
        return Step(delta=known, reply=replies.welcome_back(customer.name))
    identified = st.model_copy(update={"user_identified": True, "user_name": customer.name,
                                       "saved_address": customer.address,
                                       "conversation_phase": Phase.TOMANDO_PEDIDO})
    step = plan_turn(identified, text, route)
    introduces = route == Route.NAME or _new_name(identified, text) is not None  # "no soy Lucía, soy su hermana Paula"
    reply = step.reply if introduces else " ".join(r for r in (replies.hello(customer.name), step.reply) if r)
    return Step(delta={**known, **step.delta}, reply=reply, agent=step.agent)


def _taking_order(st: PizzeriaState, text: str, route: Route) -> Step:
    if (introduction := _introduction(st, text, route)) is not None:
        return introduction
    order = operations.current_order(st.model_dump())
    if route in (Route.DONE, Route.NEGATIVE) or (route == Route.AFFIRM and not order.is_empty and st.changes_requested):
        if order.is_empty:
            return Step(reply=replies.empty_order())
        return Step(delta=_phase(Phase.CONFIRMANDO_PEDIDO, changes_requested=False), reply=replies.summary(order))
    if route == Route.GREETING:
        return Step(reply=replies.hello_again(st.user_name))
    aside = asides.along_with_order(st, text)  # "dos muzzas, ¿llegan a Palermo?" (asides.py)
    if aside is None:
        return _edit(st, text)
    step = _edit(st, asides.order_words(text))
    return Step(delta={**aside.delta, **step.delta}, reply=" ".join(p for p in (aside.reply, step.reply) if p),
                agent=step.agent)


def _introduction(st: PizzeriaState, text: str, route: Route) -> Step | None:
    """A name other than the one on file, said while ordering ("soy Ana", "no soy Lucía, soy su hermana Paula.
    quería una fugazzeta"): it is the order's name, then the rest of the message is the order's."""
    name = _new_name(st, text)
    if name is None:
        return None
    if st.user_identified and operations.speaks_for_the_owner(text):  # "soy su hermana Paula": for this order
        outcome = operations.name_for_this_order(st.model_dump(), name)
    else:
        outcome = operations.register_name(st.model_dump(), name)
    rest = operations.without_introduction(text)
    if not outcome.ok or not find_mentions(rest):
        return Step(delta=outcome.delta, reply=outcome.message)
    step = _taking_order(PizzeriaState.of({**st.model_dump(), **outcome.delta}), rest, route)
    return Step(delta={**outcome.delta, **step.delta}, reply=f"{replies.thanks(name)} {step.reply or ''}".strip(),
                agent=step.agent)


def _new_name(st: PizzeriaState, text: str) -> str | None:
    """The name the message introduces, unless it is the one on file ("soy Juan" from Juan Pérez)."""
    name = operations.introduced_name(text)
    if name is None or set(normalize(name).split()) <= set(normalize(st.user_name or "").split()):
        return None
    return name


def _edit(st: PizzeriaState, text: str, back: dict[str, Any] | None = None) -> Step:
    """The customer's words read in code: an address kept for later, an edit code can make, else the order
    specialist (`back`: the delta that returns to the order first)."""
    delta = dict(back or {})
    rest, address = find_address(text)
    if address:
        delta |= PizzeriaState.delta(saved_address=address)
        if not normalize(rest) or not read(rest).kind:
            return Step(delta=delta, reply=replies.address_kept(address))
    name = frozenset(normalize(st.user_name or "").split())
    outcome = apply_reading(st.model_dump(), read(rest, ignore=name))
    if outcome is None:
        return Step(delta=delta, agent=ORDER)
    return Step(delta={**delta, **outcome.delta}, reply=outcome.message)


def _back_to_order(st: PizzeriaState) -> dict[str, Any]:
    return _phase(Phase.TOMANDO_PEDIDO, order_confirmed=False, address=None)


def _finalize(st: PizzeriaState, delta: dict[str, Any]) -> Step:
    """Save the confirmed order with its address, in code (no model call stands in between)."""
    outcome = operations.finalize({**st.model_dump(), **delta})
    if not outcome.ok:
        return Step(delta={**delta, **_phase(Phase.FINALIZACION)}, reply=outcome.message)
    return Step(delta={**delta, **outcome.delta, **new_order_state(), **_phase(Phase.TOMANDO_PEDIDO)}, reply=outcome.message)


def _confirming(st: PizzeriaState, text: str, route: Route) -> Step:
    if route in (Route.AFFIRM, Route.DONE):
        outcome = operations.confirm(st.model_dump())
        if not outcome.ok:
            return Step(delta=_phase(Phase.TOMANDO_PEDIDO), reply=outcome.message)
        paid = checkout.payment_delta(text)  # "sí, pago con transferencia"
        return Step(delta={**outcome.delta, **paid, **_phase(Phase.RECOGIENDO_DIRECCION)}, reply=replies.ask_address(st.saved_address))
    if route == Route.NEGATIVE:
        return Step(delta=_back_to_order(st), reply=replies.what_to_change())
    if route == Route.ORDER:
        return _edit(st, text, _back_to_order(st))
    return Step(agent=CONFIRM)


def _collecting_address(st: PizzeriaState, text: str, route: Route) -> Step:
    if checkout.awaiting_payment(st) and not looks_like_address(text) and (paying := checkout_steps.pay(text, route)):
        return _checkout(st, paying)
    text, paid = checkout.without_payment(text), checkout.payment_delta(text)
    if looks_like_address(text):
        address: str | None = find_address(text)[1] or text  # "no, mandalo a Thames 1500, Palermo": the address only
    elif route == Route.AFFIRM and st.saved_address:
        address = st.saved_address
    elif route == Route.ORDER:
        return _edit(st, text, _back_to_order(st))
    elif route == Route.NEGATIVE:
        return Step(delta=_back_to_order(st), reply=replies.what_to_change())
    elif paid and route == Route.INFO:  # "transferencia" before the address: kept, the address asked
        return Step(delta=paid, reply=replies.payment_kept(st.saved_address))
    else:
        return Step(delta=paid, agent=ADDRESS)
    outcome = operations.save_address(st.model_dump(), address)
    if not outcome.ok:
        return Step(reply=outcome.message)
    return _checkout(st, checkout_steps.after_address(st.model_copy(update={**outcome.delta, **paid}),
                                                      {**outcome.delta, **paid}))


def _checkout(st: PizzeriaState, next_step: checkout_steps.Next) -> Step:
    """The payment step's result (checkout_steps.py): save now, in code, or say what is missing."""
    if next_step.save:
        return _finalize(st, next_step.delta)
    return Step(delta=next_step.delta, reply=next_step.reply)


def after_specialist(st: PizzeriaState, agent: Specialist) -> Step | None:
    """The transition a specialist's tool results call for, if any."""
    if agent == USER and st.user_identified and st.conversation_phase == Phase.SALUDO:
        return Step(delta=_phase(Phase.TOMANDO_PEDIDO, awaiting_user_name=False))
    if agent == CONFIRM and st.conversation_phase == Phase.CONFIRMANDO_PEDIDO:
        if st.order_confirmed:
            return Step(delta=_phase(Phase.RECOGIENDO_DIRECCION), reply=replies.ask_address(st.saved_address))
        if st.changes_requested:
            return Step(delta=_phase(Phase.TOMANDO_PEDIDO, changes_requested=False))
    if agent == ADDRESS and st.address and st.conversation_phase == Phase.RECOGIENDO_DIRECCION:
        return _checkout(st, checkout_steps.after_address(st, {}, noted=True))  # save_address said "Anoté la dirección"
    return None
