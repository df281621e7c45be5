"""Writes the shop's ADK eval sets (`*.evalset.json`) from the hand-written cases below.

Run `python -m eval.ecommerce.make_evalsets` after editing. Users and orders are the
seed's fixed ones (C0001 = 5491160000001 with order 4581230 in transit and 4581233
delivered; C0003 = 5491160000003, VIP). The final state lists what the supervisor
must have recorded; `tests/ecommerce/test_eval_replay.py` replays the tool calls. A turn
whose call the customer's words settle (an order number, a coupon code, a "sí" to an
offered coupon) lists the call code makes; the others, the call the model should make
(the replay model makes exactly that one; the sloppy model gets it wrong).
"""

from __future__ import annotations

from eval.pizzeria.make_evalsets import HERE as _PIZZERIA_DIR
from eval.pizzeria.make_evalsets import write_sets

HERE = _PIZZERIA_DIR.parent / "ecommerce"
APP = "ecommerce_agent"
C0001, C0003 = "5491160000001", "5491160000003"

CASES = [
    ("category_agent", "categorias_de_audio", C0001,
     [("que categorias de audio tienen?", [("find_categories", {"query": "audio"})])],
     {"current_intent": "category_browsing", "agent_history": ["category_agent"]}),
    ("product_agent", "notebook_gamer_rtx_4070", C0003,
     [("busco una notebook gamer con rtx 4070", [("search_catalog", {"query": "notebook gamer rtx 4070"})])],
     {"current_intent": "product_inquiry", "agent_history": ["product_agent"]}),
    ("product_agent", "auriculares_en_dolares", C0001,
     [("busco auriculares bluetooth por menos de 100 dolares", [("search_catalog", {"query": "auriculares bluetooth"})])],
     {"current_intent": "product_inquiry", "agent_history": ["product_agent"]}),
    ("product_agent", "notebook_hasta_1500_lucas", C0003,
     [("quiero una notebook lenovo por menos de 1.500 lucas", [("search_catalog", {"query": "notebook lenovo"})])],
     {"current_intent": "product_inquiry", "agent_history": ["product_agent"]}),
    ("promotions_agent", "puedo_usar_un_cupon", C0001,
     [("¿puedo usar el cupón HOTSALE15?", [("my_promotions", {"code": "HOTSALE15"})]),
      ("dale", [("redeem_coupon_code", {"code": "HOTSALE15"})])],
     {"current_intent": "promotions", "agent_history": ["promotions_agent", "promotions_agent"], "offered_coupon": None}),
    ("tracking_agent", "cuando_llega_lo_que_compre", C0001,
     [("cuando llega lo que compre?", [("my_recent_orders", {})])],
     {"current_intent": "order_tracking", "agent_history": ["tracking_agent"]}),
    ("tracking_agent", "ya_despacharon_lo_que_pedi", C0001,
     [("ya despacharon lo que pedi?", [("my_recent_orders", {})])],
     {"current_intent": "order_tracking", "agent_history": ["tracking_agent"]}),
    ("promotions_agent", "promos_y_cupon", C0001,
     [("que promos hay para mi?", [("my_promotions", {})]),
      ("quiero usar el cupon BIENVENIDA10", [("redeem_coupon_code", {"code": "BIENVENIDA10"})])],
     {"current_intent": "promotions", "agent_history": ["promotions_agent", "promotions_agent"]}),
    ("tracking_agent", "donde_esta_mi_pedido", C0001,
     [("donde esta mi pedido #4581230", [("track_order", {"order_number": "4581230"})])],
     {"current_intent": "order_tracking", "agent_history": ["tracking_agent"]}),
    ("support_agent", "notebook_no_prende", C0001,
     [("la notebook no prende, que hago?", [("search_help", {"query": "la notebook no prende"})])],
     {"current_intent": "technical_support", "agent_history": ["support_agent"]}),
    ("invoice_agent", "factura_de_un_pedido", C0001,
     [("necesito la factura del pedido 4581233", [("request_invoice", {"order_number": "4581233"})])],
     {"current_intent": "invoice_request", "agent_history": ["invoice_agent"]}),
    ("multi_intent", "seguimiento_factura_y_promos", C0001,
     [("hola", []),
      ("donde esta mi pedido 4581230", [("track_order", {"order_number": "4581230"})]),
      ("y me mandas la factura del 4581233?", [("request_invoice", {"order_number": "4581233"})]),
      ("hay promos en auriculares?", [("my_promotions", {})])],
     {"intent_history": ["general_inquiry", "order_tracking", "invoice_request", "promotions"],
      "agent_history": ["tracking_agent", "invoice_agent", "promotions_agent"], "requires_human": False}),
    ("multi_intent", "soporte_y_gracias", C0001,
     [("mi notebook no prende, que hago?", [("search_help", {"query": "notebook no prende"})]),
      ("gracias!", []),
      ("chau", [])],
     {"intent_history": ["technical_support", "general_inquiry", "general_inquiry"], "agent_history": ["support_agent"]}),
    ("multi_intent", "reclamo_termina_en_una_persona", C0001,
     [("donde esta mi pedido 4581230", [("track_order", {"order_number": "4581230"})]),
      ("quiero hablar con una persona", []),
      ("hola??", [])],
     {"requires_human": True, "handoff_reason": "pidió hablar con una persona", "agent_history": ["tracking_agent"]}),
]


def main() -> None:
    write_sets(CASES, HERE, APP, prefix="Tienda")


if __name__ == "__main__":
    main()
