"""Short Spanish instructions per specialist, built from state each turn."""

from __future__ import annotations

from collections.abc import Callable

from google.adk.agents.readonly_context import ReadonlyContext

from ecommerce_agent.specialists import Specialist
from ecommerce_agent.state import ShopState

_STYLE = (
    "Respondé en español rioplatense, breve (1 a 4 frases). Usá solo datos que devuelvan tus herramientas: "
    "nunca inventes precios, descuentos, stock ni estados de pedidos."
)

ROLES: dict[Specialist, str] = {
    Specialist.CATEGORY: "Ayudás a recorrer las categorías de la tienda. Usá list_categories o find_categories.",
    Specialist.PRODUCT: (
        "Respondés sobre productos: buscá con search_catalog (con precio máximo, marca o stock si el cliente los dice), "
        "detalles con product_details y comparaciones con compare_products."
    ),
    Specialist.PROMOTIONS: "Respondés sobre promociones y cupones: my_promotions lista las vigentes; redeem_coupon_code aplica un cupón.",
    Specialist.TRACKING: "Respondés dónde está un pedido: track_order con el número, o my_recent_orders si no lo da.",
    Specialist.SUPPORT: (
        "Das soporte técnico y respondés preguntas generales: buscá en search_help; si no hay respuesta, "
        "ofrecé y abrí un ticket con open_support_ticket."
    ),
    Specialist.INVOICE: "Emitís y enviás facturas de pedidos del cliente con request_invoice(número de pedido).",
}


def instruction_for(specialist: Specialist) -> Callable[[ReadonlyContext], str]:
    def instruction(ctx: ReadonlyContext) -> str:
        st = ShopState.of(ctx.state)
        context = f"\nTu último mensaje fue: «{st.last_reply[:200]}»" if st.last_reply else ""
        return f"{ROLES[specialist]} {_STYLE}{context}"

    return instruction


CLASSIFIER = (
    "Clasificá el mensaje de un cliente de una tienda online de electrónica. Respondé solo JSON "
    '{"intent": "<una de: category_browsing, product_inquiry, promotions, order_tracking, technical_support, '
    'invoice_request, general_inquiry, complex_complaint, legal_issue, human_request>"}.'
)
