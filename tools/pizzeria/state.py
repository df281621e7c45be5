"""The pizzeria conversation's `session.state`: keys, phases and the typed view of them.

Tools and the coordinator both read state through `PizzeriaState.of` and write it as
deltas built by `PizzeriaState.delta` (a misspelled key fails there), so the same
domain operation can run inside a tool (writing `tool_context.state`) or on the
coordinator's fast path (yielding an event's `state_delta`).
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import Field

from tools.identity import customer_id
from tools.llm.serving import ChannelState


class Phase(StrEnum):
    SALUDO = "SALUDO"
    TOMANDO_PEDIDO = "TOMANDO_PEDIDO"
    CONFIRMANDO_PEDIDO = "CONFIRMANDO_PEDIDO"
    RECOGIENDO_DIRECCION = "RECOGIENDO_DIRECCION"
    FINALIZACION = "FINALIZACION"


class PizzeriaState(ChannelState):
    """The pizzeria's session state keys, typed (the service sets `channel` and `conversation_id`)."""

    conversation_phase: Phase = Phase.SALUDO
    user_id: str = ""
    user_identified: bool = False
    user_name: str | None = None
    awaiting_user_name: bool = False
    current_order: dict[str, Any] = Field(default_factory=lambda: {"items": [], "total": 0})
    address: str | None = None
    order_confirmed: bool = False
    # Beyond the design's keys:
    order_key: str = ""  # idempotency key of the order being built
    finalized_order_key: str | None = None  # set by finalize_order once saved
    last_order_id: int | None = None
    saved_address: str | None = None  # the customer's address on file, offered at delivery
    changes_requested: bool = False  # set by the confirmation agent's request_changes
    previous_order: dict[str, Any] | None = None  # the order before its last change, for "dejala como estaba"
    payment_method: str | None = None  # the payment method's id (pizzeria.json), asked before saving

    def customer(self) -> str:
        """Who the stores know this customer as (the phone): `user_id` is the session's, a pseudonym under the gateway."""
        return customer_id(self.user_id)


def initial_state(user_id: str) -> dict[str, Any]:
    """State for a brand-new conversation."""
    return PizzeriaState.delta(
        conversation_phase=Phase.SALUDO, user_id=user_id, user_identified=False, user_name=None,
        awaiting_user_name=False,
    ) | new_order_state()


def new_order_state() -> dict[str, Any]:
    """Delta that starts an empty order (after finalizing or cancelling)."""
    return PizzeriaState.delta(
        current_order={"items": [], "total": 0}, address=None, order_confirmed=False, changes_requested=False,
        payment_method=None, order_key=uuid.uuid4().hex, previous_order=None,
    )
