"""Tool calls a small model wrote as text instead of as a function call.

Small Qwen models (and others whose chat template or server misses the call) put the
call in the message content, in any of these shapes:

    {"name": "add_item_to_order", "arguments": {"item": "muzza"}}
    [{"name": ..., "arguments": ...}, {"name": ..., "arguments": ...}]
    <tool_call>{"name": ..., "arguments": ...}</tool_call>          (Qwen's own format)
    ```json {"name": ..., "parameters": ...} ```                    (fenced, "parameters")
    {"type": "function", "function": {"name": ..., "arguments": "{...}"}}
    add_item_to_order(item="muzza", quantity=2)                    (Python style, known names only)

`split_text_calls` finds them anywhere in a text and returns the calls and the text
that is left once they and their wrapping (tags, fences, list brackets) are removed.
Anything that does not parse as a call stays text. `is_residue` tells whether what is
left is only that wrapping (ADK's LiteLLM path already lifts bare JSON calls out of
the content and leaves e.g. "<tool_call>\n</tool_call>" or "[, ]" behind).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Collection
from typing import Any

Call = tuple[str, dict[str, Any]]

_DECODER = json.JSONDecoder()
_RESIDUE = re.compile(r"^(?:\s|</?tool_call>|</?tools?>|```(?:json|python)?|[\[\],;])*$", re.IGNORECASE)
_WRAPPING = re.compile(r"</?tool_call>|```(?:json|python)?", re.IGNORECASE)
_PY_CALL = re.compile(r"\b([A-Za-z_][\w.]*)\(([^()]*)\)")


def _as_call(value: Any) -> Call | None:
    """`value` as a (name, arguments) call, or None when it is not shaped like one."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("function"), dict) and set(value) <= {"function", "type", "id", "index"}:
        value = value["function"]
    name = value.get("name")
    args = next((value[k] for k in ("arguments", "parameters", "args") if k in value), None)
    if not isinstance(name, str) or not name.strip() or args is None:
        return None
    if set(value) - {"name", "arguments", "parameters", "args", "id", "type"}:
        return None  # other keys: some data the model is quoting, not a call
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except ValueError:
            return None
    return (name.strip(), args) if isinstance(args, dict) else None


def _calls_in(value: Any) -> list[Call] | None:
    """The calls a decoded JSON value holds (an object or a list of them), None if it is not calls."""
    if isinstance(value, list):
        calls = [_as_call(v) for v in value]
        return [c for c in calls if c] if value and all(calls) else None
    call = _as_call(value)
    return [call] if call else None


def _python_calls(text: str, known: Collection[str]) -> tuple[list[Call], str]:
    """`name(key=value, ...)` calls of `known` tools with literal arguments, and the text without them."""
    calls: list[Call] = []

    def lift(match: re.Match[str]) -> str:
        name = match.group(1).rsplit(".", 1)[-1]
        if name not in known:
            return match.group(0)
        try:
            node = ast.parse(f"f({match.group(2)})", mode="eval").body
            assert isinstance(node, ast.Call) and not node.args
            args = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
        except (SyntaxError, ValueError, AssertionError):
            return match.group(0)
        calls.append((name, args))
        return ""

    return calls, _PY_CALL.sub(lift, text)


def split_text_calls(text: str, known: Collection[str] = ()) -> tuple[list[Call], str]:
    """(calls written in `text`, the text left without them and their wrapping); Python-style
    calls are read only for the `known` tool names."""
    calls, text = _python_calls(text, known) if known else ([], text)
    kept: list[str] = []
    cursor = 0
    while (start := _next_json(text, cursor)) != -1:
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            kept.append(text[cursor:start + 1])
            cursor = start + 1
            continue
        found = _calls_in(value)
        if found is None:
            kept.append(text[cursor:end])
        else:
            calls += found
            kept.append(text[cursor:start])
        cursor = end
    kept.append(text[cursor:])
    rest = "".join(kept)
    if calls:
        rest = _WRAPPING.sub("", rest)
        rest = "" if is_residue(rest) else rest.strip()
    return calls, rest


def _next_json(text: str, cursor: int) -> int:
    """Index of the next '{' or '[' at or after `cursor`, -1 if none."""
    found = [i for i in (text.find("{", cursor), text.find("[", cursor)) if i != -1]
    return min(found) if found else -1


def is_residue(text: str) -> bool:
    """`text` is only what wraps a tool call (tags, fences, brackets, commas, spaces)."""
    return _RESIDUE.match(text) is not None
