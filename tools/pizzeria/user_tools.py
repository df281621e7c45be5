"""Customer identification and delivery address tools (identity comes from the session)."""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools.jsonstore import StoreError
from tools.pizzeria import operations, stores
from tools.pizzeria.turn import apply


def check_user_in_db(tool_context: ToolContext) -> dict[str, Any]:
    """Busca al cliente de esta conversación en la base de clientes.

    Devuelve si es un cliente conocido y su nombre. No recibe argumentos: el
    cliente es siempre el de la sesión.
    """
    user_id = tool_context.user_id
    try:
        customer = stores.customers().get(user_id)
    except StoreError:
        return {"ok": False, "message": operations.STORE_DOWN}
    if customer is None:
        return {"ok": True, "known": False, "message": "Cliente nuevo: pedile su nombre."}
    apply(tool_context, {"user_identified": True, "user_name": customer.name, "saved_address": customer.address})
    return {"ok": True, "known": True, "name": customer.name, "message": f"Cliente conocido: {customer.name}."}


def extract_and_register_name(name: str, tool_context: ToolContext) -> dict[str, Any]:
    """Registra el nombre del cliente nuevo.

    Args:
      name: solo el nombre de la persona, tal como lo dijo (por ejemplo "Ana" o "Juan Pérez").
    """
    outcome = operations.register_name(tool_context.state, name)
    apply(tool_context, outcome.delta)
    if outcome.ok:
        tool_context.actions.skip_summarization = True
    return outcome.result()


def save_address(address: str, tool_context: ToolContext) -> dict[str, Any]:
    """Guarda la dirección de entrega del pedido.

    Args:
      address: calle, altura y, si hay, piso/depto y barrio, por ejemplo "Av. Corrientes 1234, 5° B".
    """
    outcome = operations.save_address(tool_context.state, address)
    apply(tool_context, outcome.delta)
    if outcome.ok:
        tool_context.actions.skip_summarization = True
    return outcome.result()
