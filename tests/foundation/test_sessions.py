"""Saved sign-in sessions: encrypted at rest, bound to their account, never written in clear."""

from __future__ import annotations

import base64
import io
import json
import logging
import stat
import sys
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import keyring.errors
import pytest
import typer

from assistant.app.settings import KEYRING_SERVICE as PASSWORD_SERVICE
from assistant.app.settings import Settings
from assistant.cli.options import Options, load_settings_for
from assistant.domain.errors import ConfigError
from flows.browser.sessions import (
    KEY_ENV,
    KEYRING_ENTRY,
    KEYRING_SERVICE,
    SessionFile,
    SessionKey,
    export_session,
    import_session,
    new_key,
    read_envelope,
    resolve_key,
)

PLANTED = "planted-cookie-7f3a9c"


def state(value: str = PLANTED, expires: float = 1_900_000_000) -> dict[str, Any]:
    cookie = {"name": "sid", "value": value, "domain": "shop.example", "path": "/"}
    return {
        "cookies": [
            {**cookie, "expires": expires},
            {**cookie, "name": "pref", "value": "x", "expires": -1},
        ],
        "origins": [],
    }


def a_key(source: str = "environment") -> SessionKey:
    return SessionKey(base64.urlsafe_b64decode(new_key()), source)


class MemoryKeyring:
    """A keyring that works, in memory."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[(service, username)] = password


class ForgetfulKeyring(MemoryKeyring):
    """Accepts a password and forgets it, as keyring's null backend does."""

    def set_password(self, service: str, username: str, password: str) -> None:
        pass


def use_keyring(monkeypatch: pytest.MonkeyPatch, backend: Any) -> None:
    monkeypatch.setattr(keyring, "get_password", backend.get_password)
    monkeypatch.setattr(keyring, "set_password", backend.set_password)


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches the machine's keyring (nor its key): keyring's fail backend answers."""
    use_keyring(monkeypatch, keyring.backends.fail.Keyring())
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    use_keyring(monkeypatch, backend)
    return backend


def every_byte(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def assert_not_in_clear(root: Path, value: str = PLANTED) -> None:
    raw = value.encode()
    everything = every_byte(root)
    for form in (raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        assert form.rstrip(b"=") not in everything


def test_a_saved_session_loads_back(tmp_path: Path) -> None:
    saved = SessionFile(tmp_path / "s" / "alice.json", "alice", a_key())
    assert saved.save(state())
    assert saved.load() == state()
    assert saved.cookies()[0]["value"] == PLANTED
    assert saved.exists


def test_the_cookie_is_nowhere_in_clear_and_the_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sessions" / "alice.json"
    assert SessionFile(path, "alice", a_key()).save(state())
    assert_not_in_clear(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["alice.json"]  # no temporary left


def test_the_envelope_says_whose_and_which_key_without_decrypting(tmp_path: Path) -> None:
    key = a_key()
    path = tmp_path / "alice.json"
    SessionFile(path, "alice", key).save(state(expires=1_900_000_000))
    meta = read_envelope(path)
    assert meta is not None
    assert meta["account"] == "alice"
    assert meta["key_id"] == key.key_id
    assert meta["expires"] == "2030-03-17T17:46:40+00:00"  # the sid cookie, not the session one
    assert "ciphertext" not in meta
    envelope = json.loads(path.read_text())
    assert len(base64.b64decode(envelope["nonce"])) == 12


def test_each_save_uses_a_fresh_nonce(tmp_path: Path) -> None:
    saved = SessionFile(tmp_path / "alice.json", "alice", a_key())
    saved.save(state())
    first = json.loads(saved.path.read_text())
    saved.save(state())
    second = json.loads(saved.path.read_text())
    assert first["nonce"] != second["nonce"]
    assert first["ciphertext"] != second["ciphertext"]


def test_a_plain_legacy_session_is_encrypted_on_first_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "alice.json"
    path.write_text(json.dumps(state()))
    caplog.set_level(logging.INFO)
    assert SessionFile(path, "alice", a_key()).load() == state()
    assert read_envelope(path) is not None
    assert_not_in_clear(tmp_path)
    assert "encrypted the saved session of alice" in caplog.text


def test_a_plain_session_without_a_key_is_used_as_it_is(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "alice.json"
    path.write_text(json.dumps(state()))
    before = path.read_bytes()
    assert SessionFile(path, "alice", None).load() == state()
    assert path.read_bytes() == before
    assert "not encrypted" in caplog.text


def test_another_key_reads_nothing_and_leaves_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "alice.json"
    SessionFile(path, "alice", a_key()).save(state())
    before = path.read_bytes()
    assert SessionFile(path, "alice", a_key()).load() is None
    assert path.read_bytes() == before
    assert "alice" in caplog.text
    assert str(path) in caplog.text
    assert PLANTED not in caplog.text


def test_an_altered_file_reads_nothing(tmp_path: Path) -> None:
    key = a_key()
    path = tmp_path / "alice.json"
    SessionFile(path, "alice", key).save(state())
    envelope = json.loads(path.read_text())
    sealed = bytearray(base64.b64decode(envelope["ciphertext"]))
    sealed[0] ^= 1
    envelope["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    path.write_text(json.dumps(envelope))
    assert SessionFile(path, "alice", key).load() is None


def test_another_accounts_session_is_not_passed_off(tmp_path: Path) -> None:
    key = a_key()
    bob = tmp_path / "bob.json"
    SessionFile(bob, "bob", key).save(state())
    alice = tmp_path / "alice.json"
    alice.write_bytes(bob.read_bytes())
    assert SessionFile(alice, "alice", key).load() is None
    # Rewriting the clear-text account name does not help: the name is bound to the bytes.
    envelope = json.loads(bob.read_text())
    alice.write_text(json.dumps({**envelope, "account": "alice"}))
    assert SessionFile(alice, "alice", key).load() is None


def test_unreadable_json_reads_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "alice.json"
    path.write_text('{"cookies": [')
    assert SessionFile(path, "alice", a_key()).load() is None
    assert "alice" in caplog.text


def test_no_file_is_no_session(tmp_path: Path) -> None:
    saved = SessionFile(tmp_path / "alice.json", "alice", a_key())
    assert saved.load() is None
    assert saved.cookies() == []
    assert not saved.exists
    assert not saved.delete()


def test_delete_removes_the_session(tmp_path: Path) -> None:
    saved = SessionFile(tmp_path / "alice.json", "alice", a_key())
    saved.save(state())
    assert saved.delete()
    assert not saved.path.exists()


def test_without_a_key_nothing_is_written(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    saved = SessionFile(tmp_path / "s" / "alice.json", "alice", None)
    assert saved.save(state()) is False
    assert saved.save(state()) is False
    assert list(tmp_path.rglob("*")) == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "memory only" in warnings[0].getMessage()
    assert KEY_ENV in warnings[0].getMessage()


def test_the_key_comes_from_the_environment_first(memory_keyring: MemoryKeyring) -> None:
    text = new_key()
    key = resolve_key(environ={KEY_ENV: text})
    assert key is not None
    assert key.source == "environment"
    assert key.key == base64.urlsafe_b64decode(text)
    assert memory_keyring.stored == {}


@pytest.mark.parametrize(
    "bad",
    [
        "not a key",
        base64.urlsafe_b64encode(b"short").decode(),
        base64.urlsafe_b64encode(bytes(33)).decode(),
    ],
)
def test_a_bad_key_in_the_environment_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_key(environ={KEY_ENV: bad})
    assert caught.value.key == KEY_ENV
    assert "order-assistant session key" in (caught.value.fix or "")
    assert bad not in str(caught.value)


def test_the_key_is_read_from_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    text = new_key()
    monkeypatch.setenv(KEY_ENV, text)
    key = resolve_key()
    assert key is not None
    assert key.key == base64.urlsafe_b64decode(text)


def test_no_environment_and_no_keyring_is_no_key() -> None:
    assert resolve_key(environ={}) is None


def test_a_keyring_key_is_created_once_then_reused(memory_keyring: MemoryKeyring) -> None:
    first = resolve_key(environ={})
    assert first is not None
    assert first.source == "keyring"
    stored = memory_keyring.stored[(KEYRING_SERVICE, KEYRING_ENTRY)]
    assert base64.urlsafe_b64decode(stored) == first.key
    again = resolve_key(environ={})
    assert again == first


def test_no_key_is_created_when_not_asked(memory_keyring: MemoryKeyring) -> None:
    assert resolve_key(create=False, environ={}) is None
    assert memory_keyring.stored == {}


def test_a_keyring_that_forgets_gives_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    use_keyring(monkeypatch, ForgetfulKeyring())
    assert resolve_key(environ={}) is None


@pytest.mark.parametrize(
    "error", [keyring.errors.KeyringLocked("locked"), RuntimeError("D-Bus went away")]
)
def test_a_failing_keyring_gives_no_key(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring, error: Exception
) -> None:
    def fail(*_: object) -> None:
        raise error

    monkeypatch.setattr(keyring, "get_password", fail)
    assert resolve_key(environ={}) is None


def test_a_broken_key_in_the_keyring_is_a_config_error(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.stored[(KEYRING_SERVICE, KEYRING_ENTRY)] = "garbage"
    with pytest.raises(ConfigError, match=KEYRING_ENTRY):
        resolve_key(environ={})
    assert memory_keyring.stored[(KEYRING_SERVICE, KEYRING_ENTRY)] == "garbage"


def test_the_keys_repr_does_not_show_it() -> None:
    key = a_key()
    shown = repr(key) + str(key) + repr(SessionFile(Path("x"), "alice", key))
    assert key.key_id in shown
    for form in (repr(key.key), key.key.hex(), base64.urlsafe_b64encode(key.key).decode()):
        assert form not in shown


def test_export_and_import_with_the_same_key(tmp_path: Path) -> None:
    key = a_key()
    here = SessionFile(tmp_path / "here" / "alice.json", "alice", key)
    here.save(state())
    exported = tmp_path / "out" / "alice.session"
    export_session(here, exported)
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert exported.read_bytes() == here.path.read_bytes()  # still encrypted
    there = SessionFile(tmp_path / "there" / "alice.json", "alice", SessionKey(key.key, "env"))
    import_session(exported, there)
    assert there.load() == state()
    assert stat.S_IMODE(there.path.stat().st_mode) == 0o600
    assert_not_in_clear(tmp_path)


def test_import_with_another_key_says_which_key_it_needs(tmp_path: Path) -> None:
    key = a_key()
    here = SessionFile(tmp_path / "here.json", "alice", key)
    here.save(state())
    export_session(here, tmp_path / "alice.session")
    there = SessionFile(tmp_path / "there.json", "alice", a_key())
    with pytest.raises(ConfigError) as caught:
        import_session(tmp_path / "alice.session", there)
    assert key.key_id in str(caught.value)
    assert KEY_ENV in (caught.value.fix or "")
    assert not there.path.exists()
    nokey = SessionFile(tmp_path / "there.json", "alice", None)
    with pytest.raises(ConfigError, match=key.key_id):
        import_session(tmp_path / "alice.session", nokey)


def test_import_refuses_another_accounts_session(tmp_path: Path) -> None:
    key = a_key()
    bob = SessionFile(tmp_path / "bob.json", "bob", key)
    bob.save(state())
    export_session(bob, tmp_path / "exported")
    alice = SessionFile(tmp_path / "alice.json", "alice", key)
    with pytest.raises(ConfigError, match="session of bob, not alice"):
        import_session(tmp_path / "exported", alice)
    assert not alice.path.exists()


def test_import_refuses_a_file_that_is_not_an_export(tmp_path: Path) -> None:
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(state()))
    target = SessionFile(tmp_path / "alice.json", "alice", a_key())
    with pytest.raises(ConfigError) as caught:
        import_session(plain, target)
    assert caught.value.key == "session"
    assert not target.path.exists()


def test_export_needs_an_encrypted_session(tmp_path: Path) -> None:
    saved = SessionFile(tmp_path / "alice.json", "alice", None)
    with pytest.raises(ConfigError) as caught:
        export_session(saved, tmp_path / "out.session")
    assert caught.value.key == "session"
    saved.path.write_text(json.dumps(state()))
    with pytest.raises(ConfigError, match="not encrypted"):
        export_session(saved, tmp_path / "out.session")
    assert not (tmp_path / "out.session").exists()


class _Terminal(io.StringIO):
    """Standard input that is a terminal: where a missing password is asked for."""

    def isatty(self) -> bool:
        return True


def _settings_at_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Settings, list[str]]:
    """``load_settings_for`` as a command at a terminal runs it; the prompts it showed."""
    for name, value in {
        "ORDER_ASSISTANT_CONFIG": str(tmp_path / "none.toml"),
        "ORDER_ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ORDER_ASSISTANT_USERNAME": "me@example.com",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ORDER_ASSISTANT_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    asked: list[str] = []

    def prompt(text: str, **_: Any) -> str:
        asked.append(text)
        return "typed-at-the-prompt"

    monkeypatch.setattr(typer, "prompt", prompt)
    return load_settings_for(Options()), asked


def test_a_password_in_the_keyring_is_not_asked_for_at_a_terminal(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    memory_keyring.stored[(PASSWORD_SERVICE, "me@example.com")] = "kept-in-the-keyring"
    settings, asked = _settings_at_a_terminal(monkeypatch, tmp_path)
    assert asked == []
    password = settings.all_accounts()[0].resolved_password()
    assert password is not None and password.get_secret_value() == "kept-in-the-keyring"


def test_without_a_password_anywhere_a_terminal_asks_for_it(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings, asked = _settings_at_a_terminal(monkeypatch, tmp_path)
    assert asked == ["Password for me@example.com"]
    password = settings.all_accounts()[0].resolved_password()
    assert password is not None and password.get_secret_value() == "typed-at-the-prompt"
