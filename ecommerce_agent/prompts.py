"""What each shop specialist's model reads: a fixed instruction, and the turn's context.

Laid out for the model server's prefix cache (`tools.llm.layout`): `STATIC[specialist]`
is the system instruction, the same bytes on every call of the conversation (no state in
it), followed by the tool schemas the session's role may use; `turn_context` (the bot's
last reply) goes in the user turn right before the customer's message. The model only
picks a tool and its arguments: every tool's message is the whole answer and ends the turn.
"""

from __future__ import annotations

from google.adk.agents.callback_context import CallbackContext

from ecommerce_agent.specialists import Specialist
from ecommerce_agent.state import ShopState

LAST_REPLY_CHARS = 200

_STYLE = "Respondé en español rioplatense, breve. Nunca inventes precios, stock, políticas ni estados de pedidos."

ROLES: dict[Specialist, str] = {
    Specialist.CATEGORY: "Mostrás las categorías de la tienda: list_categories todas, find_categories la que busca.",
    Specialist.PRODUCT: (
        "Buscás productos con search_catalog; product_details y compare_products usan códigos SKU."
    ),
    Specialist.PROMOTIONS: (
        "Promociones y cupones del cliente: my_promotions. redeem_coupon_code solo si pide usar un código que escribió."
    ),
    Specialist.TRACKING: "Pedidos del cliente: track_order con el número, my_recent_orders si no lo da.",
    Specialist.SUPPORT: (
        "Soporte y preguntas generales: search_help. open_support_ticket solo si el cliente pide o acepta un ticket."
    ),
    Specialist.INVOICE: "Facturas de pedidos del cliente: request_invoice con el número de pedido; si no lo dio, pedíselo.",
}

STATIC: dict[Specialist, str] = {specialist: f"{role} {_STYLE}" for specialist, role in ROLES.items()}
"""Each specialist's system instruction: never changes within a conversation."""


def turn_context(ctx: CallbackContext) -> str | None:
    """What changes from turn to turn, said right before the customer's message (None: nothing to say)."""
    last = ShopState.of(ctx.state).last_reply
    return f"(Tu mensaje anterior al cliente: «{last[:LAST_REPLY_CHARS]}»)" if last else None


CLASSIFIER = (
    "Clasificá el mensaje de un cliente de una tienda online de electrónica. Respondé solo JSON "
    '{"intent": "<una de: category_browsing, product_inquiry, promotions, order_tracking, technical_support, '
    'invoice_request, general_inquiry, complex_complaint, legal_issue, human_request>"}.'
)
