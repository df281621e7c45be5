"""Customer contact data encrypted at rest, and phone lookups by keyed hash: the cipher and its keys.

What is encrypted (Fernet: AES-128-CBC + HMAC-SHA256, random IV, so equal values give
different tokens):

- shop database: `customers.email`, `customers.phone`, `customers.preferences` (it
  holds the delivery address), `orders.shipping_address`, `outbox.recipient`
  (`tools.shop.schema.ENCRYPTED_COLUMNS`); the repositories decrypt into the records;
- pizzeria files: `clientes.json` phone and address, `pedidos.json` user id (the
  phone) and address (`tools.pizzeria.stores`).

Finding a customer by phone uses `lookup_hash`, an HMAC-SHA256 of the phone's digits
under LOOKUP_KEY: `customers.phone_hash`, and the keys of `clientes.json`.

Where a customer's id (a phone, a token subject) would otherwise be stored or logged,
`pseudonym` stands in for it: `u-` and 32 hex digits of another HMAC under LOOKUP_KEY
(the session service's user ids, `customers.user_id`, the `user` of every log line,
phones inside log text). `keyed_digest` derives the gateway's session ids the same way.
Without LOOKUP_KEY none of them can be reversed, even by trying every phone number.

Keys: DATA_KEYS lists Fernet keys, newest first; values are encrypted with the first
and decrypted with whichever opens them. LOOKUP_KEY keys the hash. When either is
empty it is read from KEYS_PATH (default `.data/keys.json`), generated there once
with mode 0600 and a warning: enough for one machine, but replicas must share
explicit keys, and losing the file loses the data. Values that are not Fernet tokens
(rows written before encryption, or by hand) are read as they are, and encrypted by
the next `rotate`.

Rotating the data key (`tools.key_rotation`; nothing stops, old and new tokens are
readable throughout):

1. `python -m tools.key_rotation genkey` prints a new key.
2. Prepend it: `DATA_KEYS=NEW,OLD` (with the generated file: put it first in its
   `data_keys` list) and restart the processes; new writes use NEW.
3. `python -m tools.key_rotation rotate` re-encrypts every value under NEW, in batches of
   one transaction each (the shop database, then the pizzeria files).
4. Drop the old key: `DATA_KEYS=NEW`, restart. A value still under OLD now fails
   loudly (`UndecryptableValue`) rather than reading as garbage.

Changing LOOKUP_KEY changes every phone hash and pseudonym: set the new key, restart, and
run `python -m tools.key_rotation rotate --rehash`, which recomputes `customers.phone_hash`
and `customers.user_id` and re-keys `clientes.json` from the decrypted phones and user
ids. Until it has run, lookups by phone or user id find nobody (a pizzeria customer is
asked for their name again). Session ids and user ids change too: every conversation
starts afresh (handed-off ones included), so change the key between rushes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tools.settings import get_settings

log = logging.getLogger(__name__)

_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_PHONE_CHARS = re.compile(r"[\d\s+().-]*\d[\d\s+().-]*")
_FERNET_OVERHEAD = 1 + 8 + 16 + 32  # version, timestamp, IV, HMAC around the padded ciphertext


class KeyConfigError(ValueError):
    """DATA_KEYS, LOOKUP_KEY or the key file is unusable (the message names which)."""


class UndecryptableValue(ValueError):
    """A stored token that no key in DATA_KEYS opens (its key was dropped before `rotate` ran)."""


def is_token(value: str) -> bool:
    """Whether `value` has the shape of a Fernet token (no key needed)."""
    if not _TOKEN_CHARS.fullmatch(value):
        return False
    try:
        raw = base64.urlsafe_b64decode(value)
    except (binascii.Error, ValueError):
        return False
    return raw[:1] == b"\x80" and len(raw) >= _FERNET_OVERHEAD + 16 and (len(raw) - _FERNET_OVERHEAD) % 16 == 0


PSEUDONYM_PREFIX = "u-"
_PSEUDONYM = re.compile(r"u-[0-9a-f]{32}")


def is_pseudonym(value: str) -> bool:
    """Whether `value` has the shape `FieldCipher.pseudonym` gives (no key needed)."""
    return _PSEUDONYM.fullmatch(value) is not None


def normalize_phone(value: str) -> str:
    """"+54 9 11 6000-0001" -> "5491160000001"; a value that is not a phone number stays as it is.

    Session user ids that are not phones ("web-ana") must not all collapse to "".
    """
    return re.sub(r"\D", "", value) if _PHONE_CHARS.fullmatch(value) else value


class FieldCipher:
    """Encrypts and decrypts single values; computes the keyed lookup hash."""

    def __init__(self, data_keys: Sequence[str], lookup_key: str) -> None:
        if not data_keys:
            raise KeyConfigError("DATA_KEYS holds no key")
        fernets = []
        for position, key in enumerate(data_keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise KeyConfigError(
                    f"DATA_KEYS key #{position} is not a Fernet key (32 url-safe base64-encoded bytes); "
                    "make one with `python -m tools.key_rotation genkey`"
                ) from None
        if not lookup_key:
            raise KeyConfigError("LOOKUP_KEY is empty")
        self._fernet = MultiFernet(fernets)
        self._lookup_key = lookup_key.encode()

    def encrypt(self, value: str | None) -> str | None:
        """A token under the newest key; None stays None."""
        return None if value is None else self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        """The plaintext of a token; None, and values that are not tokens (not yet encrypted), as they are."""
        if value is None or not is_token(value):
            return value
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            raise UndecryptableValue("no key in DATA_KEYS opens a stored value (dropped before rotating?)") from None

    def rotate(self, value: str | None) -> str | None:
        """The value as a token under the newest key (a plaintext value gets encrypted)."""
        if value is None or not is_token(value):
            return self.encrypt(value)
        try:
            return self._fernet.rotate(value.encode()).decode()
        except InvalidToken:
            raise UndecryptableValue("no key in DATA_KEYS opens a stored value (dropped before rotating?)") from None

    def lookup_hash(self, value: str) -> str:
        """Hex HMAC-SHA256 of the normalized phone under LOOKUP_KEY: equal phones, equal hashes."""
        return hmac.new(self._lookup_key, normalize_phone(value).encode(), hashlib.sha256).hexdigest()

    def keyed_digest(self, purpose: str, value: str) -> str:
        """Hex HMAC-SHA256 of `value` under LOOKUP_KEY, separated by `purpose` from every other use of the key."""
        return hmac.new(self._lookup_key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()

    def pseudonym(self, user_id: str) -> str:
        """The keyed stand-in for a customer id stored or logged in its place: "u-" + 32 hex (a phone normalized first)."""
        return PSEUDONYM_PREFIX + self.keyed_digest("user", normalize_phone(user_id))[:32]


# --------------------------------------------------------------------------- keys


def _read_key_file(path: Path) -> dict[str, object]:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyConfigError(f"KEYS_PATH {path} is unreadable: {exc}") from None
    keys = stored.get("data_keys") if isinstance(stored, dict) else None
    lookup = stored.get("lookup_key") if isinstance(stored, dict) else None
    if not (isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys) and isinstance(lookup, str)):
        raise KeyConfigError(f"KEYS_PATH {path} needs a 'data_keys' list and a 'lookup_key' string")
    return stored


def load_or_create_key_file(path: Path) -> dict[str, object]:
    """The keys stored at `path`, generated there first if the file does not exist.

    The file is written to a private (0600) temp file and hard-linked into place, which
    never replaces an existing file: of several processes starting at once, one
    creates it and the others read that one.
    """
    if path.exists():
        return _read_key_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = {"data_keys": [Fernet.generate_key().decode()], "lookup_key": secrets.token_urlsafe(32)}
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as tmp:
            json.dump(generated, tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.link(tmp_name, path)
    except FileExistsError:
        return _read_key_file(path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    log.warning("generated data and lookup keys into %s: back it up (without it the encrypted customer data is "
                "lost) and set DATA_KEYS/LOOKUP_KEY explicitly when running more than one machine", path)
    return generated


@functools.cache
def _cipher(data_keys: str, lookup_key: str, keys_path: Path) -> FieldCipher:
    keys = [k.strip() for k in data_keys.split(",") if k.strip()]
    lookup = lookup_key.strip()
    if not keys or not lookup:
        stored = load_or_create_key_file(keys_path)
        keys = keys or list(stored["data_keys"])  # type: ignore[call-overload]
        lookup = lookup or str(stored["lookup_key"])
    return FieldCipher(keys, lookup)


def get_cipher() -> FieldCipher:
    """The cipher for the current settings (cached per DATA_KEYS, LOOKUP_KEY and KEYS_PATH)."""
    settings = get_settings()
    return _cipher(settings.data_keys, settings.lookup_key, settings.keys_path.absolute())


def reset_cipher() -> None:
    """Forget cached ciphers (tests: after replacing the key file behind the same settings)."""
    _cipher.cache_clear()
