"""Masking of customer identifiers in free text: phone numbers and e-mail addresses.

A phone is any run of 8 or more digits (an optional leading `+`, single spaces,
hyphens or parentheses between digits) not glued to a hex digit or a hyphen, so
uuids and hashes are left alone (`cel5491155550001` is still masked); ISO dates
(`2024-05-01`) and invoice numbers (`0003-00000012`) are not phones. What stays
visible is at most the first 5 digits and always only the last 4, with at least 4
hidden: `5491155550001` → `54911****0001`, `11 5555-0001` → `11****0001`.
An e-mail keeps its first character and its domain: `juan.perez@mail.com` → `j***@mail.com`.
"""

from __future__ import annotations

import re

_PHONE = re.compile(r"(?<![0-9a-fA-F+(-])\+?\(?\d(?:[ ()-]{0,2}\d){7,}(?![0-9a-fA-F:-])")
_NOT_PHONES = re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}-\d{8}")  # ISO dates, invoice numbers (0003-00000012)
_EMAIL = re.compile(r"(?<![\w.+-])([\w+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")


def _mask_phone(match: re.Match[str]) -> str:
    raw = match.group(0)
    if _NOT_PHONES.fullmatch(raw):
        return raw
    digits = re.sub(r"\D", "", raw)
    keep = min(5, len(digits) - 8)
    return f"{'+' if raw.startswith('+') else ''}{digits[:keep]}****{digits[-4:]}"


def redact(text: str) -> str:
    """`text` with every e-mail address and phone-like number masked."""
    return _PHONE.sub(_mask_phone, _EMAIL.sub(r"\1***@\2", text))
