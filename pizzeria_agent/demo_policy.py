"""What the scripted model does when plugged in with `LLM_MODEL=scripted`.

It behaves like a literal-minded small model: it passes the customer's words
straight into the tools (which resolve them in code) and relays tool messages.
That is enough to take a whole order from `adk run pizzeria_agent` offline, and
it is the policy the tests' conversations fall back to.
"""

from __future__ import annotations

import re

from pizzeria_agent.specialists import Specialist
from tools.llm.scripted import Reply, View
from tools.pizzeria.notes import without_notes
from tools.text import normalize

_REMOVE = re.compile(r"\b(sac\w*|quit\w*|elimin\w*|cancel\w*|borr\w*|sin)\b")
_CHANGE = re.compile(r"\b(cambi\w*|en vez|que (la|el|las|los) .+ sea\w*)\b")
_YES = re.compile(r"^(si|dale|ok|confirmo|perfecto|de una|correcto|esta bien|listo)\b")
_CATEGORIES = ("pizzas", "empanadas", "bebidas", "postres")


def demo_policy(view: View) -> Reply | None:
    text = view.user_text
    norm = normalize(text)
    if view.responses:
        if view.after == "get_menu":
            return Reply.say("Esto es lo que tenemos:\n" + view.messages()[-1])
        return None  # relay the tools' messages
    if "Clasificá" in view.system:
        return Reply.say('{"intent": "pedido"}')
    match view.agent:
        case Specialist.USER:
            return Reply.call("extract_and_register_name", name=text)
        case Specialist.MENU:
            category = next((c for c in _CATEGORIES if c[:-1] in norm), "")
            return Reply.call("get_menu", category=category)
        case Specialist.ORDER:
            if _REMOVE.search(without_notes(norm)):  # "sin aceitunas" is a note, not a removal
                return Reply.call("remove_item_from_order", item=text)
            if _CHANGE.search(norm):
                return Reply.call("change_item", item=text, size=text)
            return Reply.call("add_item_to_order", item=text)
        case Specialist.CONFIRMATION:
            return Reply.call("confirm_order" if _YES.match(norm) else "request_changes")
        case Specialist.ADDRESS:
            return Reply.call("save_address", address=text)
    return None
