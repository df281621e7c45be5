"""Writes the pizzeria ADK eval sets (`*.evalset.json`) from the hand-written cases below.

Run `python -m eval.pizzeria.make_evalsets` after editing a case. Each case lists,
per customer turn, the tool calls a good model makes (none where code reads the customer's
words and acts itself: items, edits, a yes, an address) and, at the end, the
session state the conversation must leave (ADK's evaluators do not check state;
`tests/pizzeria/test_eval_replay.py` does, by replaying the tool calls through
the real agent).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
APP = "pizzeria_agent"

Turn = tuple[str, list[tuple[str, dict[str, Any]]]]

# (eval set, case id, user id, turns, expected final state subset)
CASES: list[tuple[str, str, str, list[Turn], dict[str, Any]]] = [
    (
        "happy_path", "cliente_nuevo_pedido_completo", "5491177700001",
        [
            ("hola", []),
            ("me llamo Sofía", []),
            ("dos muzzas grandes y una coca de litro y medio", []),
            ("eso es todo", []),
            ("sí", []),
            ("Av. Santa Fe 3200, 4° A", []),
            ("en efectivo", []),
        ],
        {"user_name": "Sofía", "conversation_phase": "TOMANDO_PEDIDO", "last_order_id": 1001,
         "current_order": {"items": [], "total": 0}},
    ),
    (
        "happy_path", "cliente_conocido_direccion_guardada", "5491155550101",
        [
            ("buenas noches", []),
            ("una napo grande y media docena de empanadas de carne", []),
            ("nada más", []),
            ("dale", []),
            ("sí, a la misma", []),
            ("con transferencia", []),
        ],
        {"user_name": "Juan Pérez", "conversation_phase": "TOMANDO_PEDIDO", "last_order_id": 1001},
    ),
    (
        "happy_path", "charla_de_por_medio", "5491155550103",  # words code does not read: the model is asked
        [
            ("hola", []),
            ("che para la juntada van dos muzzas grandes y una fugazzeta chica", [
                ("add_item_to_order", {"item": "muzzarella", "quantity": 2, "size": "grande"}),
                ("add_item_to_order", {"item": "fugazzeta", "quantity": 1, "size": "chica"}),
            ]),
            ("y sumale una coca de litro y medio que somos un monton", [
                ("add_item_to_order", {"item": "coca cola", "quantity": 1, "size": "1,5 L"}),
            ]),
            ("y de postre sumale un flan que somos golosos", [("add_item_to_order", {"item": "flan", "quantity": 1})]),
        ],
        {"conversation_phase": "TOMANDO_PEDIDO",
         "current_order": {"items": [{"item_id": "muzzarella", "size": "grande", "quantity": 2},
                                     {"item_id": "fugazzeta", "size": "chica", "quantity": 1},
                                     {"item_id": "coca_cola", "size": "1.5l", "quantity": 1},
                                     {"item_id": "flan", "size": "porcion", "quantity": 1}], "total": 45200}},
    ),
    (
        "corrections", "cambiar_tamano_y_sacar", "5491155550103",
        [
            ("hola", []),
            ("dos muzzas grandes y una fugazzeta chica", []),
            ("que la muzza sea chica", []),
            ("sacá la fugazzeta", []),
        ],
        {"conversation_phase": "TOMANDO_PEDIDO",
         "current_order": {"items": [{"item_id": "muzzarella", "size": "chica", "quantity": 2}], "total": 17800}},
    ),
    (
        "corrections", "volver_desde_la_confirmacion", "5491155550103",
        [
            ("hola", []),
            ("una calabresa mediana", []),
            ("listo", []),
            ("no, agregame un flan", []),
            ("eso es todo", []),
        ],
        {"conversation_phase": "CONFIRMANDO_PEDIDO", "order_confirmed": False,
         "current_order": {"items": [{"item_id": "calabresa", "size": "mediana", "quantity": 1},
                                     {"item_id": "flan", "size": "porcion", "quantity": 1}], "total": 17000}},
    ),
    (
        "digressions", "pregunta_por_el_menu_a_mitad_del_pedido", "5491155550102",
        [
            ("hola", []),
            ("una fugazzeta grande", []),
            ("¿qué empanadas tienen?", [("get_menu", {"category": "empanadas"})]),
            ("dos de humita", []),
        ],
        {"conversation_phase": "TOMANDO_PEDIDO",
         "current_order": {"items": [{"item_id": "fugazzeta", "size": "grande", "quantity": 1},
                                     {"item_id": "empanada_humita", "size": "unidad", "quantity": 2}], "total": 17900}},
    ),
    (
        "digressions", "horario_envio_y_pago_a_mitad_del_pedido", "5491155550103",
        [
            ("hola", []),
            ("una muzza grande", []),
            ("hasta que hora abren?", []),
            ("¿hacen envíos a Palermo?", []),
            ("se puede pagar con mercado pago?", []),
            ("y una coca de litro y medio", []),
        ],
        {"conversation_phase": "TOMANDO_PEDIDO",
         "current_order": {"items": [{"item_id": "muzzarella", "size": "grande", "quantity": 1},
                                     {"item_id": "coca_cola", "size": "1.5l", "quantity": 1}], "total": 18100}},
    ),
    (
        "cancellations", "cancelar_todo", "5491155550103",
        [
            ("hola", []),
            ("tres cuatro quesos grandes", []),
            ("eso es todo", []),
            ("cancelá todo", []),
        ],
        {"conversation_phase": "TOMANDO_PEDIDO", "order_confirmed": False, "current_order": {"items": [], "total": 0}},
    ),
    (
        "invalid_input", "producto_que_no_existe", "5491155550103",
        [
            ("hola", []),
            ("una pizza hawaiana", [("add_item_to_order", {"item": "pizza hawaiana", "quantity": 1})]),
            ("entonces una margarita chica", []),
        ],
        {"conversation_phase": "TOMANDO_PEDIDO",
         "current_order": {"items": [{"item_id": "margarita", "size": "chica", "quantity": 1}], "total": 9500}},
    ),
]


def _content(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"text": text}]}


def build(cases: list, app: str, prefix: str) -> dict[str, dict[str, Any]]:
    """ADK EvalSet documents, one per eval set id, from (set, case, user, turns, final state) tuples."""
    sets: dict[str, dict[str, Any]] = {}
    for set_id, case_id, user_id, turns, final_state in cases:
        eval_set = sets.setdefault(set_id, {
            "eval_set_id": set_id,
            "name": f"{prefix}: {set_id.replace('_', ' ')}",
            "description": f"Conversaciones en español rioplatense; ver {app} en eval/.",
            "eval_cases": [],
            "creation_timestamp": 0.0,
        })
        eval_set["eval_cases"].append({
            "eval_id": case_id,
            "conversation": [
                {
                    "invocation_id": f"{case_id}-{n}",
                    "user_content": _content("user", text),
                    "intermediate_data": {
                        "tool_uses": [{"name": name, "args": args} for name, args in calls],
                        "intermediate_responses": [],
                    },
                    "creation_timestamp": 0.0,
                }
                for n, (text, calls) in enumerate(turns)
            ],
            "session_input": {"app_name": app, "user_id": user_id, "state": {}},
            "final_session_state": final_state,
            "creation_timestamp": 0.0,
        })
    return sets


def write_sets(cases: list, directory: Path, app: str, prefix: str) -> None:
    for set_id, eval_set in build(cases, app, prefix).items():
        path = directory / f"{set_id}.evalset.json"
        path.write_text(json.dumps(eval_set, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path}")


def main() -> None:
    write_sets(CASES, HERE, APP, prefix="Pizzería")


if __name__ == "__main__":
    main()
