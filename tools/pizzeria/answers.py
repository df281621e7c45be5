"""What a pizzeria is asked, answered from `pizzeria.json` and the saved orders: no model call.

Hours ("¿hasta qué hora abren?"), delivery ("¿llegan a Palermo?"), payment ("¿puedo pagar
con transferencia?"), delivery time, the customer's order status ("¿ya salió?") and the
price of what the customer names ("¿cuánto sale la napo grande?", from `menu.json`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tools.jsonstore import StoreError
from tools.pizzeria import replies, stores
from tools.pizzeria.business import DAYS, Business, load_business
from tools.pizzeria.menu import load_menu
from tools.pizzeria.resolver import find_mentions
from tools.pizzeria.stores import SavedOrder
from tools.text import any_word, normalize

_PRICE = any_word(r"cuanto (?:sale|salen|cuesta|cuestan|vale|valen|esta|estan|es)", r"precios?", r"a cuanto", r"que sale")
_HAVE = re.compile(r"^(?:y )?(?:tenes|tienen|tiene|hay|hacen|venden|trabajan)\b")


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def opens_at(business: Business | None = None) -> str | None:
    """"hoy a las 19:00", "el martes a las 19:00": the next opening, as the customer reads it."""
    business = business or load_business()
    now = business.now()
    start = business.next_opening(now)
    if start is None:
        return None
    return replies.when((start.date() - now.date()).days, start.weekday(), _clock(start))


def hours() -> str:
    business = load_business()
    until = business.open_until()
    now_line = replies.open_now(_clock(until)) if until else replies.closed_now(opens_at(business))
    by_day = [[tuple(span) for span in business.opening_hours.get(day, [])] for day in DAYS]
    return f"{now_line} {replies.schedule(by_day)}"


def delivery(text: str) -> str:
    business = load_business()
    zone = business.zone_in(text)
    if zone:
        return replies.zone_terms(zone.barrio, zone.fee, zone.minimum)
    return replies.zones([(z.barrio, z.fee) for z in business.delivery_zones])


def payment(text: str) -> str:
    business = load_business()
    method = business.payment_in(text)
    labels = [m.label for m in business.payment_methods]
    if method:
        alias = business.transfer_alias if method.id == "transferencia" else None
        return f"{replies.payment_accepted(method.label, alias)} {replies.payment_methods(labels)}"
    return replies.payment_methods(labels)


def _open_orders() -> list[SavedOrder]:
    try:
        return [o for o in stores.orders().of_day() if o.is_open]
    except StoreError:
        return []


def eta_minutes() -> tuple[int, int]:
    """The delivery time now: the rule in `pizzeria.json` over the orders the kitchen has open."""
    return load_business().eta.minutes(len(_open_orders()))


def status(user_id: str, ordering: bool) -> str:
    """The customer's latest order's status and arrival window, or the delivery time now."""
    try:
        order = stores.orders().latest_for(user_id)
    except StoreError:
        order = None
    if order is None or (ordering and not order.is_open):
        low, high = eta_minutes()
        general = replies.eta_general(low, high)
        return f"{replies.order_not_saved_yet()} {general}" if ordering else general
    business = load_business()
    ahead = sum(1 for o in _open_orders() if o.order_id < order.order_id)
    low, high = business.eta.minutes(ahead)
    placed = datetime.fromisoformat(order.created_at).astimezone(business.now().tzinfo)
    return replies.order_status(order.order_id, order.status, _clock(placed + timedelta(minutes=low)),
                                _clock(placed + timedelta(minutes=high)))


def is_closed() -> bool:
    return not load_business().is_open()



def prices(text: str) -> str | None:
    """The price of each item a question names ("¿cuánto sale la napo grande?", "¿tenés pizza de rúcula?"),
    in the size named or in every size; None: not such a question."""
    norm = normalize(text)
    mentions = find_mentions(norm)
    have = _HAVE.match(norm) is not None
    if not mentions or not (have or _PRICE.search(norm)):
        return None
    menu = load_menu()
    said = []
    for mention in {m.item_id: m for m in mentions}.values():
        item = menu.item(mention.item_id)
        priced = menu.size_prices(item, [mention.size] if mention.size in item.prices else None)
        said.append(replies.we_have(item.name, item.description, priced) if have else replies.item_prices(item.name, priced))
    return " ".join(said)
