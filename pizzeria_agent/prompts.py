"""Specialist instructions: short Spanish text built from typed state each turn.

Each specialist sees only the current message (`include_contents="none"`) plus
the compact context below, so every request stays far inside a small model's
window instead of carrying the whole multi-agent history.
"""

from __future__ import annotations

from google.adk.agents.readonly_context import ReadonlyContext

from pizzeria_agent.specialists import Specialist
from tools.pizzeria.menu import load_menu
from tools.pizzeria.order import Order
from tools.pizzeria.state import PizzeriaState

_STYLE = "Hablás en español rioplatense, breve y amable (1 a 3 frases). Nunca inventes precios ni productos."


def _context(ctx: ReadonlyContext) -> str:
    st = PizzeriaState.of(ctx.state)
    order = Order.from_state(st.current_order, load_menu())
    lines = [f"Cliente: {st.user_name or 'sin nombre'}.", f"Pedido actual: {order.one_line()}."]
    if st.last_reply:
        lines.append(f"Tu último mensaje fue: «{st.last_reply[:200]}»")
    return "\n".join(lines)


def user_instruction(ctx: ReadonlyContext) -> str:
    return (
        f"Recibís a los clientes de {load_menu().pizzeria}. El cliente es nuevo y le pediste su nombre. "
        "Si su mensaje dice cómo se llama, llamá a extract_and_register_name con solo el nombre. "
        f"Si no, pedile el nombre en una frase. {_STYLE}"
    )


def menu_instruction(ctx: ReadonlyContext) -> str:
    return (
        f"Sos quien conoce el menú de {load_menu().pizzeria}. Para responder sobre productos, gustos o precios "
        "llamá a get_menu (con la categoría si aplica) y contestá con lo que devuelve. No agregues nada al pedido. "
        f"{_STYLE}\n{_context(ctx)}"
    )


def order_instruction(ctx: ReadonlyContext) -> str:
    return (
        "Tomás el pedido. Por cada producto que pida el cliente llamá a add_item_to_order con el producto, "
        "la cantidad y el tamaño que dijo. Para sacar algo usá remove_item_from_order; para cambiar tamaño o "
        "cantidad, change_item. Si falta un dato o el producto no existe, preguntá. "
        f"{_STYLE}\n{_context(ctx)}"
    )


def confirmation_instruction(ctx: ReadonlyContext) -> str:
    return (
        "Le mostraste el pedido al cliente y le preguntaste si lo confirma. Si dice que sí, llamá a confirm_order. "
        "Si quiere cambiar o agregar algo, llamá a request_changes. Si pregunta por el pedido, usá get_current_order. "
        f"{_STYLE}\n{_context(ctx)}"
    )


def address_instruction(ctx: ReadonlyContext) -> str:
    return (
        "Necesitás la dirección de entrega. Si el cliente la dio, llamá a save_address con la dirección completa "
        f"(calle, altura, piso/depto). Si no, pedísela en una frase. {_STYLE}\n{_context(ctx)}"
    )


INSTRUCTIONS = {
    Specialist.USER: user_instruction,
    Specialist.MENU: menu_instruction,
    Specialist.ORDER: order_instruction,
    Specialist.CONFIRMATION: confirmation_instruction,
    Specialist.ADDRESS: address_instruction,
}

CLASSIFIER = (
    "Clasificá el mensaje de un cliente de pizzería. Respondé solo JSON: "
    '{"intent": "menu"} si pregunta por productos o precios, {"intent": "pedido"} si quiere agregar, sacar o '
    'cambiar algo, {"intent": "listo"} si terminó de pedir, {"intent": "otro"} si no es nada de eso.'
)
