"""Masking of customer identifiers in free text: phone numbers become keyed pseudonyms, e-mails are masked.

A phone is any run of 8 or more digits (an optional leading `+`, single spaces,
hyphens or parentheses between digits) not glued to a hex digit or a hyphen, so
uuids and hashes are left alone (`cel5491155550001` is still masked); ISO dates
(`2024-05-01`) and invoice numbers (`0003-00000012`) are not phones. Whatever follows
it (`pizzeria:web:5491100009001:...` in a traceback included), no digit of the phone
stays: it is replaced by its pseudonym (`tools.crypto`: `u-` + 32 hex of an HMAC under
LOOKUP_KEY), the same value that stands for the customer in session user ids and in the
`user` field of every log line, so lines stay correlatable and cannot be brute-forced
back to a number without the key. If the keys cannot be loaded, a phone becomes `u-?`.
An e-mail keeps its first character and its domain: `juan.perez@mail.com` → `j***@mail.com`.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from tools.crypto import KeyConfigError, get_cipher

_PHONE = re.compile(r"(?<![0-9a-fA-F+(-])\+?\(?\d(?:[ ()-]{0,2}\d){7,}(?![0-9a-fA-F-])")
_NOT_PHONES = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2})?|\d{4}-\d{8}")  # ISO dates (and hour), invoices (0003-00000012)
_EMAIL = re.compile(r"(?<![\w.+-])([\w+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
UNKNOWN = "u-?"
_busy: ContextVar[bool] = ContextVar("redacting", default=False)


def pseudonym(user_id: str) -> str:
    """The keyed pseudonym of a customer id for a log line (`UNKNOWN` while the keys are loading or unusable)."""
    if _busy.get():  # loading the keys logged something: do not load them again from inside that line
        return UNKNOWN
    token = _busy.set(True)
    try:
        return get_cipher().pseudonym(user_id)
    except (KeyConfigError, OSError, ValueError):
        return UNKNOWN
    finally:
        _busy.reset(token)


def _mask_phone(match: re.Match[str]) -> str:
    raw = match.group(0)
    return raw if _NOT_PHONES.fullmatch(raw) else pseudonym(re.sub(r"\D", "", raw))


def redact(text: str) -> str:
    """`text` with every e-mail address masked and every phone-like number replaced by its pseudonym."""
    return _PHONE.sub(_mask_phone, _EMAIL.sub(r"\1***@\2", text))
