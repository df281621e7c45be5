"""The design this project replaces, for comparison: one `LlmAgent` with every pizzeria tool.

No coordinator, no rules, no code reading the customer first: the model sees the whole
conversation (`include_contents="default"`), one instruction with the customer and the
current order, and all ten tool schemas on every call, and decides everything. It
gets the same guards as the real specialists (call cap, errors as words, the habits of
small models absorbed), so the comparison is about the design, not about the guards.
`python -m eval --baseline` (and `make eval-real` with `--baseline`) runs the pizzeria
suites on it instead of `pizzeria_agent`.
"""

from __future__ import annotations

from typing import Any

from google.adk.agents import LlmAgent
from google.adk.agents.callback_context import CallbackContext
from google.adk.agents.readonly_context import ReadonlyContext
from google.adk.models.base_llm import BaseLlm
from google.adk.tools import BaseTool, ToolContext

from pizzeria_agent.agent import TOOLS
from tools.jsonstore import StoreError
from tools.llm.guards import GUARDS
from tools.pizzeria import stores
from tools.pizzeria.finalization_tools import finalize_order
from tools.pizzeria.menu import load_menu
from tools.pizzeria.order import Order
from tools.pizzeria.state import PizzeriaState, initial_state

NAME = "pizzeria_baseline"


def _instruction(ctx: ReadonlyContext) -> str:
    st = PizzeriaState.of(ctx.state)
    order = Order.from_state(st.current_order, load_menu())
    address = f" Dirección guardada: {st.saved_address}." if st.saved_address else ""
    return (
        f"Sos el asistente de {load_menu().pizzeria} y tomás pedidos de delivery por WhatsApp. "
        "Si el cliente es nuevo, pedile el nombre y registralo con extract_and_register_name. "
        "Para productos y precios usá get_menu. Por cada producto que pida llamá a add_item_to_order con el producto, "
        "la cantidad y el tamaño; para sacar algo remove_item_from_order; para cambiar tamaño o cantidad change_item; "
        "get_current_order muestra el pedido. Cuando termine de pedir, mostrale el pedido y preguntale si lo confirma: "
        "si dice que sí, confirm_order; si quiere cambiar algo, request_changes. Con el pedido confirmado pedile la "
        "dirección y guardala con save_address (si tiene una guardada y la confirma, usá esa). Preguntale cómo paga. "
        "Con pedido confirmado, dirección y forma de pago, llamá a finalize_order con la forma de pago. Hablás en español rioplatense, breve y amable. Nunca inventes precios.\n"
        f"Cliente: {st.user_name or 'sin nombre'}.{address} Pedido actual: {order.one_line()}."
    )


def _start(callback_context: CallbackContext) -> None:
    """A new conversation's state, with the customer's record if there is one (what the coordinator does)."""
    state = callback_context.state
    if "conversation_phase" in state:
        return
    user_id = callback_context.get_invocation_context().user_id
    for key, value in initial_state(user_id).items():
        state[key] = value
    try:
        customer = stores.customers().get(user_id)
    except StoreError:
        customer = None
    if customer is not None:
        for key, value in PizzeriaState.delta(user_identified=True, user_name=customer.name,
                                              saved_address=customer.address).items():
            state[key] = value


def _model_answers(tool: BaseTool, args: dict[str, Any], tool_context: ToolContext, tool_response: Any) -> None:
    """No coordinator says a tool's message here: the model reads every result and answers."""
    tool_context.actions.skip_summarization = False


def build_baseline(model: BaseLlm) -> LlmAgent:
    tools = list({fn.__name__: fn for fns in [*TOOLS.values(), [finalize_order]] for fn in fns}.values())
    return LlmAgent(name=NAME, model=model, instruction=_instruction, tools=tools,
                    before_agent_callback=_start, after_tool_callback=_model_answers, **GUARDS)
