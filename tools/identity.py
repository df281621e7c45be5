"""Who the customer of a session is: the gateway's bound customer, its user id, or the demo customer.

Under the gateway a session's user id is a keyed pseudonym (`tools.crypto`), never the
phone: the gateway runs each turn inside `acting_for(pseudonym, phone)`, and
`customer_id` turns that pseudonym back into the phone the stores know (the pizzeria's
`clientes.json`, the shop's `customers`). The binding lives in a context variable of
the turn, so nothing stores the pair and another session's pseudonym resolves to nothing.

`adk run` calls the person at the keyboard "test_user" (google/adk/cli/cli.py) and
`adk web` calls them "user" (the web UI's default; `?userId=` in its URL changes it).
Neither is a customer of the shop or the pizzeria, so with `DEMO_USER=5491160000001`
those two ids become that customer. Any other user id (ADK without the gateway) is
the customer id itself. Every tool that looks the customer up goes through `customer_id`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from tools.settings import get_settings

ADK_LOCAL_USERS = frozenset({"test_user", "user"})
"""The user ids `adk run` and `adk web` give the local user."""

_bound: ContextVar[tuple[str, str] | None] = ContextVar("bound_customer", default=None)


@contextlib.contextmanager
def acting_for(session_user: str, customer: str) -> Iterator[None]:
    """Inside the block (tasks started in it included), session user id `session_user` is `customer`."""
    token = _bound.set((session_user, customer))
    try:
        yield
    finally:
        _bound.reset(token)


def customer_id(user_id: str) -> str:
    """The id to look the customer up by: the bound customer of a gateway turn, `DEMO_USER` for ADK's local user
    when set, else `user_id`."""
    bound = _bound.get()
    if bound is not None and bound[0] == user_id:
        return bound[1]
    demo = get_settings().demo_user
    return demo if demo and user_id in ADK_LOCAL_USERS else user_id
