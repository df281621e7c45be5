"""The order specialist's tool calls held against the customer's own words (its `after_model_callback`).

Code reads the message (`reading.read`) and rewrites the model's calls in place where they
disagree, before ADK runs them:

- an add keeps the item but takes the quantity and size the customer wrote ("una cuatro
  quesos chica" is one, whatever number the model read in the name);
- an item added twice under two spellings is one add, unless the customer named it twice;
  an item the customer did not name, in a message that names items, is not added;
- an item the customer named that no call handles is added by code (also when the model
  answered text where the calls were due);
- a text answer that asks nothing ("¡Listo!", "agregado 👍") where no tool ran becomes an add of
  the customer's own words, which the tool resolves or answers ("No tenemos …");
- a change keeps the attribute the customer did not mention when they mention the other (no
  quantity=1 on a size change, no default size on "que sean tres").
"""

from __future__ import annotations

import logging
from typing import Any

from google.adk.agents.callback_context import CallbackContext
from google.adk.models.llm_response import LlmResponse
from google.genai import types

from tools.llm.message import customer_text
from tools.pizzeria.menu import Menu, load_menu
from tools.pizzeria.quantities import ResolveError
from tools.pizzeria.reading import Kind, read
from tools.pizzeria.resolver import (
    Line,
    Mention,
    find_mentions,
    resolve_line,
    resolve_size,
)
from tools.pizzeria.turn import handled_items
from tools.text import normalize

log = logging.getLogger(__name__)

ADD, CHANGE = "add_item_to_order", "change_item"


async def hold_order_calls(callback_context: CallbackContext, llm_response: LlmResponse) -> None:
    """Rewrite the order calls the customer's words contradict, add the ones they call for (in place)."""
    words = customer_text(callback_context.user_content)
    name = frozenset(normalize(str(callback_context.state.get("user_name") or "")).split())
    reading = read(words, ignore=name)
    menu = load_menu()
    content = llm_response.content or types.Content(role="model", parts=[])
    parts = list(content.parts or [])
    if reading.kind == Kind.ADD:
        handled = handled_items(callback_context.state, callback_context.invocation_id) | _edited(parts, menu)
        wanted = [m for m in reading.mentions if m.item_id not in handled and not m.problem]  # a problem: the tool says it
        parts = _hold_adds(parts, wanted, [m for m in reading.mentions if not m.problem], menu, "?" in words)
    elif (not any(p.function_call for p in parts) and "?" not in _text(parts)
          and not handled_items(callback_context.state, callback_context.invocation_id)):
        parts = [types.Part(function_call=types.FunctionCall(name=ADD, args={"item": words}))]  # "¡Listo!", no call: the tool reads the words
    for part in parts:
        if part.function_call and part.function_call.name == CHANGE:
            part.function_call.args = _kept_attributes(dict(part.function_call.args or {}), words, menu)
    if parts != list(content.parts or []):
        log.warning("order calls held against the customer's words: %s",
                    [(p.function_call.name, p.function_call.args) for p in parts if p.function_call])
        content.parts = parts
        llm_response.content = content


def _text(parts: list[types.Part]) -> str:
    return " ".join(p.text for p in parts if p.text and not p.thought)


def _edited(parts: list[types.Part], menu: Menu) -> set[str]:
    """Items a change or removal of this response is about (the model read an edit: no add for them)."""
    return {m.item_id for p in parts if p.function_call and p.function_call.name != ADD
            for m in find_mentions(str((p.function_call.args or {}).get("item") or ""), menu)}


def _hold_adds(parts: list[types.Part], wanted: list[Mention], named: list[Mention], menu: Menu,
               asked: bool) -> list[types.Part]:
    """`asked`: the message is a question ("quiero una muzza? no entendí"): nothing is added that no call adds."""
    kept: list[types.Part] = []
    for part in parts:
        call = part.function_call
        if call is None or call.name != ADD:
            kept.append(part)
            continue
        args = dict(call.args or {})
        found = find_mentions(str(args.get("item") or ""), menu) if not isinstance(args.get("item"), list) else []
        if len(found) != 1:  # several items in one call, or none the resolver knows: the tool reads them
            handled = {m.item_id for m in found}
            wanted = [m for m in wanted if m.item_id not in handled]
            kept.append(part)
            continue
        match = next((m for m in wanted if m.item_id == found[0].item_id), None)
        if match is None and any(m.item_id == found[0].item_id for m in named):
            continue  # a second add of what the customer named once ("muzza" x2 and "muzzza" x1)
        if match is None:
            if not named:
                kept.append(part)
            continue  # an item the customer did not name in a message that names items
        wanted.remove(match)
        held = _add_args(match, args, menu)
        same = _lines(args, menu) == _lines(held, menu)  # the call already says what the customer said: it stays as sent
        kept.append(part if same else types.Part(function_call=types.FunctionCall(id=call.id, name=ADD, args=held)))
    if wanted and not asked:
        kept = [p for p in kept if p.function_call]  # a text answer where the calls were due: the calls
        kept += [types.Part(function_call=types.FunctionCall(name=ADD, args=_add_args(m, {}, menu))) for m in wanted]
    return kept


def _lines(args: dict[str, Any], menu: Menu) -> list[Line] | None:
    try:
        return resolve_line(args.get("item"), args.get("quantity"), args.get("size"), menu)
    except ResolveError:
        return None


def _add_args(mention: Mention, sent: dict[str, Any], menu: Menu) -> dict[str, Any]:
    """The customer's item, quantity and size; the model's size only where the customer said none."""
    item = menu.item(mention.item_id)
    size = mention.size if mention.size in item.prices else None
    label = menu.size_label(item, size) if size else str(sent.get("size") or "")
    return {"item": item.name, "quantity": 1 if mention.quantity is None else mention.quantity, "size": label}


def _kept_attributes(args: dict[str, Any], words: str, menu: Menu) -> dict[str, Any]:
    """A change sends only what the customer's words change: no size or quantity they did not write."""
    found = find_mentions(str(args.get("item") or ""), menu)
    if not found:
        return args
    item = menu.item(found[0].item_id)
    said = [m for m in find_mentions(words, menu) if m.item_id == item.id]
    quantity_said = bool(said and said[0].quantity is not None) or read(words).quantity is not None
    size_said = resolve_size(item, words, menu) is not None
    if not quantity_said and (size_said or str(args.get("quantity")) == "1"):
        args.pop("quantity", None)  # a small model's default quantity=1 on a size change
    if quantity_said and not size_said:
        args.pop("size", None)
    return args
