"""The natural-conversation suite: whole pizzeria conversations as customers type, checked by the order saved.

`eval/conversations/pizzeria.json` holds each conversation's turns and the order that
must be saved at the end (items as `[item_id, size, quantity]`). `load_conversations`
turns them into ADK `EvalCase`s with no expected tool calls (any trajectory is fine:
the saved order is the measure), and `order_mismatch` is the check. With the
scripted model they run on the agent's demo policy (the customer's words passed to the
tools, as a literal-minded small model would), so the suite itself is checked offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.adk.evaluation.eval_case import EvalCase, Invocation, SessionInput
from google.genai import types

from eval.report import StateMismatch

SUITE = Path(__file__).parent / "conversations" / "pizzeria.json"
SUITE_NAME = "conversations"


def load_conversations(path: Path = SUITE, app_name: str = "pizzeria_agent") -> list[tuple[str, EvalCase, list[list[Any]]]]:
    """(suite name, case, expected order items) per conversation."""
    data = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for conversation in data["conversations"]:
        case = EvalCase(
            eval_id=conversation["id"],
            conversation=[
                Invocation(invocation_id=f"{conversation['id']}-{n}",
                           user_content=types.Content(role="user", parts=[types.Part(text=text)]))
                for n, text in enumerate(conversation["turns"])
            ],
            session_input=SessionInput(app_name=app_name, user_id=conversation["user_id"], state={}),
        )
        found.append((SUITE_NAME, case, sorted(conversation["order"])))
    return found


def order_mismatch(saved: list[dict[str, Any]], expected: list[list[Any]]) -> dict[str, StateMismatch]:
    """The check: exactly one order saved, with exactly the expected items."""
    got = [order["items"] for order in saved]
    return {} if got == [expected] else {"saved order": StateMismatch(got=got, want=[expected])}
