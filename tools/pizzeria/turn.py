"""Per-turn bookkeeping for tools: what the customer said and what this turn already did.

A tool whose result can be said in a fixed sentence ends the turn without a second
model call (`skip_summarization`). That is only safe once every item the customer
named this turn has been handled, so tools record the items they handled in
`temp:` state (shared by parallel calls, dropped at the end of the invocation).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from google.adk.tools import ToolContext

from tools.llm.message import customer_text
from tools.pizzeria.menu import load_menu
from tools.pizzeria.notes import without_notes
from tools.pizzeria.resolver import Line, find_mentions

_HANDLED = "temp:handled_items"
_ADDED = "temp:added_lines"


def user_text(ctx: ToolContext) -> str:
    """The customer's message this turn, as the coordinator read it."""
    return customer_text(ctx.user_content)


def finish(ctx: ToolContext, handled_item_ids: set[str], result: dict[str, Any]) -> dict[str, Any]:
    """Record handled items; end the turn with the tool's message when nothing named is left.

    Items the customer named but no call has handled yet are returned under
    `pending`, so the model knows to keep going.
    """
    handled = handled_items(ctx.state, ctx.invocation_id) | handled_item_ids
    ctx.state[_HANDLED] = {ctx.invocation_id: sorted(handled)}
    menu = load_menu()
    pending = [m.item_id for m in find_mentions(without_notes(user_text(ctx)), menu) if m.item_id not in handled]
    if pending:
        result["pending"] = [menu.item(i).name for i in dict.fromkeys(pending)]
    else:
        ctx.actions.skip_summarization = True
    return result


def handled_items(state: Any, invocation_id: str) -> set[str]:
    """The items this invocation's order tools already handled (added, changed, or answered with an error)."""
    return set((state.get(_HANDLED) or {}).get(invocation_id, []))


def not_yet_added(ctx: ToolContext, lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """Split `lines` into (new, repeated): a line identical to one already added this turn is a
    repeated model call, unless the customer named that item more times than it was added."""
    record = ctx.state.get(_ADDED) or {}
    added = [tuple(key) for key in record.get(ctx.invocation_id, [])]
    named = Counter(m.item_id for m in find_mentions(without_notes(user_text(ctx)), load_menu()))
    new, repeated = [], []
    for line in lines:
        key = (line.item_id, line.size, line.quantity)
        times = sum(1 for k in added if k[0] == line.item_id)
        if key in added and times >= max(1, named[line.item_id]):
            repeated.append(line)
        else:
            new.append(line)
            added.append(key)
    ctx.state[_ADDED] = {ctx.invocation_id: [list(k) for k in added]}
    return new, repeated


def apply(ctx: ToolContext, delta: dict[str, Any]) -> None:
    """Write a delta built with `PizzeriaState.delta` into the tool's state."""
    for key, value in delta.items():
        ctx.state[key] = value
