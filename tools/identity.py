"""Who the customer of a session is: its user id, or the demo customer for ADK's own local user.

`adk run` calls the person at the keyboard "test_user" (google/adk/cli/cli.py) and
`adk web` calls them "user" (the web UI's default; `?userId=` in its URL changes it).
Neither is a customer of the shop or the pizzeria, so with `DEMO_USER=5491160000001`
those two ids become that customer: every tool that looks the customer up goes
through `customer_id`. Channel users (WhatsApp numbers, session-token subjects) are
never mapped.
"""

from __future__ import annotations

from tools.settings import get_settings

ADK_LOCAL_USERS = frozenset({"test_user", "user"})
"""The user ids `adk run` and `adk web` give the local user."""


def customer_id(user_id: str) -> str:
    """The id to look the customer up by: `DEMO_USER` for ADK's local user when set, else `user_id`."""
    demo = get_settings().demo_user
    return demo if demo and user_id in ADK_LOCAL_USERS else user_id
