"""Data keys for encryption tests: two Fernet keys, a lookup key, and a fixture that sets them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tools.crypto import reset_cipher
from tools.settings import get_settings

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
LOOKUP = "test-lookup-key-0123456789abcdef01234"


def use_keys(monkeypatch: pytest.MonkeyPatch, data_keys: str, lookup: str = LOOKUP) -> None:
    monkeypatch.setenv("DATA_KEYS", data_keys)
    monkeypatch.setenv("LOOKUP_KEY", lookup)
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This test's own keys (OLD, LOOKUP); imported by a module, it applies to all its tests."""
    monkeypatch.setenv("KEYS_PATH", str(tmp_path / "keys.json"))
    use_keys(monkeypatch, OLD)
    yield
    get_settings.cache_clear()
    reset_cipher()
