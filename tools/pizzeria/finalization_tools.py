"""The tool that writes the confirmed order, exactly once: only the single-agent baseline (`eval/baseline.py`) has it;
the pizzeria itself saves in code (`pizzeria_agent.flow`)."""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools.pizzeria import operations
from tools.pizzeria.turn import apply


def finalize_order(tool_context: ToolContext) -> dict[str, Any]:
    """Guarda el pedido confirmado con su dirección y devuelve el número de pedido.

    No recibe argumentos: usa el pedido, el cliente y la dirección de la conversación.
    """
    outcome = operations.finalize(tool_context.state)
    apply(tool_context, outcome.delta)
    tool_context.actions.skip_summarization = True
    return outcome.result()
