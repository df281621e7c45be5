"""The idempotency key of the turn being run, for the side effects a tool writes.

The service runs each accepted message as one turn under a key that stays the same
when the turn is retried (the inbox row's key: a WhatsApp message id, or the client's
`Idempotency-Key`). Tools that write something the customer must get once (a support
ticket, a coupon redemption, an invoice) store it with the key and, when a row with it
already exists, return that row instead of writing another.

A context variable rather than session state: it is per turn, never persisted into the
session or its events, and ADK copies it into the tasks a turn's tool calls run in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_CURRENT: ContextVar[str | None] = ContextVar("turn_key", default=None)

MAX_CHARS = 64  # the service's keys are hex digests


def current() -> str | None:
    """The running turn's key (None outside a service turn: tests, scripts)."""
    return _CURRENT.get()


@contextlib.contextmanager
def running(key: str) -> Iterator[None]:
    """Run the enclosed turn under `key`."""
    if len(key) > MAX_CHARS:
        raise ValueError(f"turn keys are at most {MAX_CHARS} characters")
    token = _CURRENT.set(key)
    try:
        yield
    finally:
        _CURRENT.reset(token)
