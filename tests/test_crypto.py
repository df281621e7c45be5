"""Field encryption: round trips, key rotation, the keyed phone hash, key configuration."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tools import crypto, key_rotation
from tools.crypto import (
    FieldCipher,
    KeyConfigError,
    UndecryptableValue,
    get_cipher,
    reset_cipher,
)
from tools.settings import get_settings

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
PHONE = "+54 9 11 6000-0001"


@pytest.fixture
def keys_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No keys configured; KEYS_PATH points into this test's tmp dir."""
    path = tmp_path / "keys" / "keys.json"
    monkeypatch.setenv("DATA_KEYS", "")
    monkeypatch.setenv("LOOKUP_KEY", "")
    monkeypatch.setenv("KEYS_PATH", str(path))
    get_settings.cache_clear()
    reset_cipher()
    yield path
    get_settings.cache_clear()
    reset_cipher()


def test_round_trip_hides_the_value() -> None:
    cipher = FieldCipher([OLD], "lookup")
    token = cipher.encrypt(PHONE)
    again = cipher.encrypt(PHONE)
    assert token != PHONE and "6000" not in token and "5491160000001" not in token
    assert token != again, "random IVs: equal values give different tokens"
    assert cipher.decrypt(token) == cipher.decrypt(again) == PHONE
    assert cipher.encrypt(None) is None and cipher.decrypt(None) is None
    assert crypto.is_token(token) and not crypto.is_token(PHONE)


def test_values_written_before_encryption_read_as_they_are() -> None:
    cipher = FieldCipher([OLD], "lookup")
    assert cipher.decrypt("ana@example.com") == "ana@example.com"
    assert cipher.decrypt(cipher.rotate("ana@example.com")) == "ana@example.com"  # rotate encrypts leftovers


def test_prepending_a_key_keeps_old_data_readable_and_rotate_frees_the_old_key() -> None:
    token = FieldCipher([OLD], "lookup").encrypt(PHONE)
    both = FieldCipher([NEW, OLD], "lookup")
    assert both.decrypt(token) == PHONE
    assert Fernet(NEW.encode()).decrypt(both.encrypt("x").encode()) == b"x", "new writes use the first key"
    rotated = both.rotate(token)
    new_only = FieldCipher([NEW], "lookup")
    assert new_only.decrypt(rotated) == PHONE
    with pytest.raises(UndecryptableValue):
        new_only.decrypt(token)  # the un-rotated token is lost with the old key, loudly


def test_lookup_hash_is_keyed_normalized_and_stable() -> None:
    cipher = FieldCipher([OLD], "lookup-one")
    expected = hmac.new(b"lookup-one", b"5491160000001", hashlib.sha256).hexdigest()
    assert cipher.lookup_hash(PHONE) == cipher.lookup_hash("5491160000001") == expected
    assert FieldCipher([NEW], "lookup-one").lookup_hash(PHONE) == expected, "independent of the data keys"
    assert FieldCipher([OLD], "lookup-two").lookup_hash(PHONE) != expected
    assert cipher.lookup_hash("web-ana") != cipher.lookup_hash("web-bob"), "non-phone ids do not collapse"


def test_malformed_key_names_data_keys(monkeypatch: pytest.MonkeyPatch, keys_env: Path) -> None:
    monkeypatch.setenv("DATA_KEYS", f"{NEW},not-a-fernet-key")
    monkeypatch.setenv("LOOKUP_KEY", "lookup-key-0123456789abcdef0123456789")
    get_settings.cache_clear()
    with pytest.raises(KeyConfigError, match="DATA_KEYS key #2") as raised:
        get_cipher()
    assert "not-a-fernet-key" not in str(raised.value), "key material never lands in messages"
    assert not keys_env.exists()


def test_configured_keys_are_used(monkeypatch: pytest.MonkeyPatch, keys_env: Path) -> None:
    monkeypatch.setenv("DATA_KEYS", f" {NEW} , {OLD} ")
    monkeypatch.setenv("LOOKUP_KEY", "lookup-key-0123456789abcdef0123456789")
    get_settings.cache_clear()
    cipher = get_cipher()
    assert Fernet(NEW.encode()).decrypt(cipher.encrypt("x").encode()) == b"x"
    assert cipher.decrypt(Fernet(OLD.encode()).encrypt(b"y").decode()) == "y"
    assert not keys_env.exists(), "no key file when both keys are configured"


def test_key_file_is_generated_once_private_and_reused(keys_env: Path) -> None:
    first = get_cipher()
    assert get_cipher() is first
    assert stat.S_IMODE(keys_env.stat().st_mode) == 0o600
    stored = keys_env.read_bytes()
    token = first.encrypt(PHONE)
    reset_cipher()
    second = get_cipher()
    assert second is not first and second.decrypt(token) == PHONE
    assert second.lookup_hash(PHONE) == first.lookup_hash(PHONE)
    assert keys_env.read_bytes() == stored
    written = json.loads(stored)
    assert Fernet(written["data_keys"][0].encode()).decrypt(token.encode()) == PHONE.encode()


def test_concurrent_first_starts_agree_on_one_key_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: crypto.load_or_create_key_file(path), range(8)))
    assert all(r == json.loads(path.read_text()) for r in results)
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"], "temp files cleaned up"


def test_broken_key_file_names_keys_path(keys_env: Path) -> None:
    keys_env.parent.mkdir(parents=True)
    keys_env.write_text('{"data_keys": []}')
    with pytest.raises(KeyConfigError, match="KEYS_PATH"):
        get_cipher()


def test_genkey_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert key_rotation.main(["genkey"]) == 0
    key = capsys.readouterr().out.strip()
    assert FieldCipher([key], "lookup").decrypt(FieldCipher([key], "lookup").encrypt("x")) == "x"
