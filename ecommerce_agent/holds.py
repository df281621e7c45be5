"""A specialist model's tool choice held against the customer's own words, before any tool runs.

What a real 1.5B model did, and what code makes of it (`hold_tool_calls`, each specialist's
`after_model_callback`):

- `redeem_coupon_code` when the customer did not write that code and ask to use it ("hay
  promos en auriculares?", "¿puedo usar el cupón HOTSALE15?") becomes `my_promotions`
  (about that code, when the customer named one): a coupon is a one-time benefit, and
  asking about it never spends it;
- a staff-only tool for a session that is not support staff becomes the customer's own
  counterpart: `lookup_any_order` -> `track_order` with the number the customer wrote, or
  `my_recent_orders` (the customer is never told "that is for staff only").

The response's function calls are changed in place, so the recorded event shows what ran;
each change is logged. Argument values (price bounds, currency, brand) are held by the
tools themselves (`tools.shop.product_filters`), which every caller goes through.
"""

from __future__ import annotations

import logging

from google.adk.agents.callback_context import CallbackContext
from google.adk.models.llm_response import LlmResponse
from google.genai import types

from tools.llm.message import customer_text
from tools.shop.entities import coupon_requested, extract
from tools.shop.parsing import parse_coupon_code
from tools.shop.permissions import STAFF_ONLY_TOOLS, role_of

log = logging.getLogger(__name__)


def _instead_of_redeem(call: types.FunctionCall, words: str) -> types.FunctionCall | None:
    code = parse_coupon_code((call.args or {}).get("code"))
    if coupon_requested(words, code):
        return None
    named = code if code in extract(words).coupon_codes else ""
    return types.FunctionCall(id=call.id, name="my_promotions", args={"code": named} if named else {})


def _instead_of_staff_tool(words: str) -> types.FunctionCall:
    numbers = extract(words).order_numbers
    if numbers:
        return types.FunctionCall(name="track_order", args={"order_number": numbers[0]})
    return types.FunctionCall(name="my_recent_orders", args={})


async def hold_tool_calls(callback_context: CallbackContext, llm_response: LlmResponse) -> None:
    """ADK `after_model_callback`: rewrite the calls the customer's words do not support (in place; returns None)."""
    parts = (llm_response.content.parts if llm_response.content else None) or []
    if not any(p.function_call for p in parts):
        return
    words = customer_text(callback_context.user_content)
    for part in parts:
        call = part.function_call
        if call is None:
            continue
        instead = None
        if call.name == "redeem_coupon_code":
            instead = _instead_of_redeem(call, words)
        elif call.name in STAFF_ONLY_TOOLS:
            try:
                role = await role_of(callback_context.user_id, callback_context.state)
            except Exception:  # fail closed: the customer's own tool answers (or says it cannot)
                log.exception("role lookup failed while holding %s", call.name)
                role = None
            if role != "support_staff":
                instead = _instead_of_staff_tool(words).model_copy(update={"id": call.id})
        if instead is not None:
            log.warning("held %s(%s) against the customer's words: ran %s(%s)", call.name, call.args, instead.name, instead.args)
            part.function_call = instead
    return
