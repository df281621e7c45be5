"""Who may call which shop tool, decided in code before the tool runs.

The role is the `role` column of the session's customer (`customer_by_user_id` on
`tool_context.user_id`), never anything the model or the customer says:

    role               tools
    (unknown user)     PUBLIC_TOOLS: list_categories, find_categories, search_catalog,
                       product_details, compare_products, search_help
                       (catalog browsing at list price + public promotions, and the
                       help articles: nothing personal, nothing that writes)
    customer           PUBLIC_TOOLS + my_promotions, redeem_coupon_code, track_order,
                       my_recent_orders, open_support_ticket, request_invoice
    premium_customer   the same as customer: premium and vip benefits are prices and
                       coupons, which `pricing` already grants by tier; there is no
                       premium-only tool
    support_staff      everything, including the staff-only lookup_any_order

The same table decides what is offered and what is allowed:

- `PermittedTools` is each specialist's toolset: a session is offered only the tools its
  role may call (a customer never reads the staff-only tool's schema: it costs prompt
  tokens and invites the call);
- `enforce_permissions` is each specialist's `before_tool_callback`: for a call the
  session may not make (a model may name a tool it was not offered) it returns a Spanish
  refusal (worded in `tools.shop.replies`), which ADK sends back as the tool's response
  without running the tool.

Both fail closed: a tool missing from the table, or a database error while checking, is
refused (and only the public tools are offered).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from google.adk.agents.readonly_context import ReadonlyContext
from google.adk.tools import BaseTool, FunctionTool, ToolContext
from google.adk.tools.base_toolset import BaseToolset

from tools.shop import replies
from tools.shop.catalog import customer_by_user_id
from tools.shop.runtime import get_engine

log = logging.getLogger(__name__)

ROLES = ("customer", "premium_customer", "support_staff")

PUBLIC_TOOLS: frozenset[str] = frozenset(
    {"list_categories", "find_categories", "search_catalog", "product_details", "compare_products", "search_help"}
)
"""Harmless for anyone, even a session that is not a registered customer."""

CUSTOMER_TOOLS: frozenset[str] = PUBLIC_TOOLS | {
    "my_promotions", "redeem_coupon_code", "track_order", "my_recent_orders", "open_support_ticket", "request_invoice",
}

STAFF_ONLY_TOOLS: frozenset[str] = frozenset({"lookup_any_order"})

ROLE_TOOLS: dict[str, frozenset[str]] = {
    "customer": CUSTOMER_TOOLS,
    "premium_customer": CUSTOMER_TOOLS,
    "support_staff": CUSTOMER_TOOLS | STAFF_ONLY_TOOLS,
}

ALL_TOOLS: frozenset[str] = ROLE_TOOLS["support_staff"]

STAFF_ONLY_REFUSAL = {"ok": False, "error": "forbidden", "message": replies.STAFF_ONLY_REFUSAL}
NOT_IDENTIFIED_REFUSAL = {"ok": False, "error": "not_identified", "message": replies.NOT_IDENTIFIED_REFUSAL}
FORBIDDEN_REFUSAL = {"ok": False, "error": "forbidden", "message": replies.FORBIDDEN_REFUSAL}
UNAVAILABLE_REFUSAL = {"ok": False, "error": "technical", "message": replies.UNAVAILABLE_REFUSAL}


def allowed_tools(role: str | None) -> frozenset[str]:
    """The tool names a session with this role may call (None: not a registered customer)."""
    if role is None:
        return PUBLIC_TOOLS
    return ROLE_TOOLS.get(role, PUBLIC_TOOLS)


def refusal(tool_name: str, role: str | None) -> dict[str, Any] | None:
    """None when `role` may call `tool_name`, else the Spanish refusal to send back."""
    if tool_name in allowed_tools(role):
        return None
    if tool_name in STAFF_ONLY_TOOLS:
        return dict(STAFF_ONLY_REFUSAL)
    if role is None and tool_name in CUSTOMER_TOOLS:
        return dict(NOT_IDENTIFIED_REFUSAL)
    return dict(FORBIDDEN_REFUSAL)


AUTH_ROLE_KEY = "auth_role"
"""Session state key the HTTP gateway sets from the session token's `role` claim."""


def role_rank(role: str | None) -> int:
    """Order of privilege: not a customer < customer < premium_customer < support_staff."""
    return ROLES.index(role) + 1 if role in ROLES else 0


def effective_role(record_role: str | None, token_role: str | None) -> str | None:
    """The customer record's role, lowered (never raised) by the session token's claim."""
    if token_role is None or role_rank(token_role) >= role_rank(record_role):
        return record_role
    return token_role


async def record_role(user_id: str) -> str | None:
    """The role of the customer whose record has this `user_id`, or None."""
    engine = await get_engine()
    async with engine.connect() as conn:
        customer = await customer_by_user_id(conn, user_id)
    return customer.role if customer else None


async def role_of(user_id: str | None, state: Mapping[str, Any]) -> str | None:
    """The role of the session of `user_id` with this state, or None when the user is not a customer."""
    if not user_id:
        return None
    return effective_role(await record_role(user_id), state.get(AUTH_ROLE_KEY))


async def session_role(tool_context: ToolContext) -> str | None:
    """The session customer's role, or None when the session's user is not a customer."""
    return await role_of(getattr(tool_context, "user_id", None), tool_context.state)


class PermittedTools(BaseToolset):
    """A specialist's function tools; each session is offered only those its role may call."""

    def __init__(self, functions: list[Callable[..., Awaitable[dict[str, Any]]]]) -> None:
        super().__init__()
        self.tools = [FunctionTool(fn) for fn in functions]

    async def get_tools(self, readonly_context: ReadonlyContext | None = None) -> list[BaseTool]:
        if readonly_context is None:
            return list(self.tools)
        try:
            role = await role_of(readonly_context.user_id, readonly_context.state)
        except Exception:
            log.exception("role lookup failed; offering the public tools only")
            role = None
        allowed = allowed_tools(role)
        return [tool for tool in self.tools if tool.name in allowed]


async def enforce_permissions(tool: BaseTool, args: dict[str, Any], tool_context: ToolContext) -> dict[str, Any] | None:
    """ADK `before_tool_callback`: None lets the call through; a dict is returned instead of running the tool."""
    name = tool.name
    if name not in ALL_TOOLS:
        log.warning("refused unknown tool %r for user %r", name, getattr(tool_context, "user_id", None))
        return dict(FORBIDDEN_REFUSAL)
    try:
        role = await session_role(tool_context)
    except Exception:
        log.exception("permission check failed for %s", name)
        return dict(UNAVAILABLE_REFUSAL)
    denied = refusal(name, role)
    if denied is not None:
        log.info("refused %s for user %r (role %s)", name, getattr(tool_context, "user_id", None), role)
    return denied
