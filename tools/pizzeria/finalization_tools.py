"""The tool that writes the confirmed order, exactly once: only the single-agent baseline (`eval/baseline.py`) has it;
the pizzeria itself saves in code (`pizzeria_agent.flow`)."""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools.pizzeria import checkout, operations
from tools.pizzeria.state import PizzeriaState
from tools.pizzeria.turn import apply


def finalize_order(tool_context: ToolContext, payment_method: str = "") -> dict[str, Any]:
    """Guarda el pedido confirmado con su dirección y forma de pago, y devuelve el número de pedido.

    Usa el pedido, el cliente y la dirección de la conversación.

    Args:
      payment_method: cómo paga el cliente (efectivo, transferencia, Mercado Pago o tarjeta), si todavía no se anotó.
    """
    if payment_method and not PizzeriaState.of(tool_context.state).payment_method:
        apply(tool_context, checkout.payment_delta(payment_method))
    outcome = operations.finalize(tool_context.state)
    apply(tool_context, outcome.delta)
    tool_context.actions.skip_summarization = True
    return outcome.result()
