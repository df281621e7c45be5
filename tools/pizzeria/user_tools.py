"""Name and delivery address tools (the customer is always the session's; identifying them is the coordinator's job).

The coordinator looks the session's user id up in `clientes.json` before any
specialist runs (a step code can take never waits on a model), so no specialist
has an identification tool.
"""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools.llm.message import customer_text
from tools.pizzeria import operations
from tools.pizzeria.turn import apply


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
      address: la dirección tal como la escribió el cliente (calle, altura, piso/depto, barrio).
    """
    outcome = operations.save_address(tool_context.state, address, said=customer_text(tool_context.user_content))
    apply(tool_context, outcome.delta)
    if outcome.ok:
        tool_context.actions.skip_summarization = True
    return outcome.result()
