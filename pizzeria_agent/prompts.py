"""Specialist instructions: short Spanish text, the same bytes on every call, and the turn's context.

Each specialist sees only the current message (`include_contents="none"`). Its instruction
(`STATIC`, ADK's `static_instruction`) never changes, so a llama.cpp or Ollama server serves it
and the tool schemas from its prefix cache; what changes (the customer's name, the order so
far, the bot's last message) is `turn_context`, said in the user turn right before the
customer's message (`tools.llm.layout`).
"""

from __future__ import annotations

from google.adk.agents.callback_context import CallbackContext

from pizzeria_agent.specialists import Specialist
from tools.pizzeria.menu import load_menu
from tools.pizzeria.order import Order
from tools.pizzeria.state import PizzeriaState

_STYLE = "Hablás en español rioplatense, breve y amable (1 a 3 frases). Nunca inventes precios ni productos."


def turn_context(ctx: CallbackContext) -> str:
    """The customer's name, the order so far and the bot's last message, for the specialist's request."""
    st = PizzeriaState.of(ctx.state)
    order = Order.from_state(st.current_order, load_menu())
    lines = [f"Cliente: {st.user_name or 'sin nombre'}.", f"Pedido actual: {order.one_line()}."]
    if st.last_reply:
        lines.append(f"Tu último mensaje fue: «{st.last_reply[:200]}»")
    return "\n".join(lines)


def _static(pizzeria: str) -> dict[Specialist, str]:
    return {
        Specialist.USER: (
            f"Recibís a los clientes de {pizzeria}. El cliente es nuevo y le pediste su nombre. "
            "Si su mensaje dice cómo se llama, llamá a extract_and_register_name con solo el nombre. "
            f"Si no, pedile el nombre en una frase. {_STYLE}"
        ),
        Specialist.MENU: (
            f"Sos quien conoce el menú de {pizzeria}. Para responder sobre productos, gustos o precios "
            "llamá a get_menu (con la categoría si aplica) y contestá con lo que devuelve. No agregues nada al pedido. "
            f"{_STYLE}"
        ),
        Specialist.ORDER: (
            "Tomás el pedido. Por cada producto que pida el cliente llamá a add_item_to_order con el producto, "
            "la cantidad y el tamaño que dijo. Para sacar algo usá remove_item_from_order; para cambiar tamaño o "
            f"cantidad, change_item. Si falta un dato o el producto no existe, preguntá. {_STYLE}"
        ),
        Specialist.CONFIRMATION: (
            "Le mostraste el pedido al cliente y le preguntaste si lo confirma. Si dice que sí, llamá a confirm_order. "
            "Si quiere cambiar o agregar algo, llamá a request_changes. Si pregunta por el pedido, usá get_current_order. "
            f"{_STYLE}"
        ),
        Specialist.ADDRESS: (
            "Necesitás la dirección de entrega. Si el cliente la dio, llamá a save_address con la dirección completa "
            f"(calle, altura, piso/depto). Si no, pedísela en una frase. {_STYLE}"
        ),
    }


def static_instructions() -> dict[Specialist, str]:
    """Each specialist's fixed instruction, for the configured menu's pizzeria."""
    return _static(load_menu().pizzeria)


CLASSIFIER = (
    "Clasificá el mensaje de un cliente de pizzería. Respondé solo JSON: "
    '{"intent": "menu"} si pregunta por productos o precios, {"intent": "pedido"} si quiere agregar, sacar o '
    'cambiar algo, {"intent": "listo"} si terminó de pedir, {"intent": "otro"} si no es nada de eso.'
)
