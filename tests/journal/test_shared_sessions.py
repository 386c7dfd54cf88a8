"""Sign-in sessions shared through the PostgreSQL journal: what one worker saves, another
on another machine (another data directory) loads; the table holds only the sealed
envelope, bound to its account; the key stays with each machine."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from assistant.app.portal_set import saved_session
from assistant.app.service import known_secrets
from assistant.app.sessions import export_account_session, session_info
from assistant.app.settings import Settings
from assistant.journal.store import open_journal
from flows.browser.sessions import SessionKey, new_key

COOKIE = "planted-shared-cookie-4d2b8e"


def state(value: str = COOKIE) -> dict[str, Any]:
    cookie = {"name": "sid", "value": value, "domain": "shop.example", "path": "/"}
    return {"cookies": [{**cookie, "expires": 1_900_000_000}], "origins": []}


@pytest.fixture
def key() -> SessionKey:
    return SessionKey(base64.urlsafe_b64decode(new_key()), "environment")


@pytest.fixture
def worker(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], Settings]:
    """A worker's settings: its own data directory, the one shared journal."""
    monkeypatch.setenv("ORDER_ASSISTANT_CONFIG", str(tmp_path / "no-config.toml"))

    def settings(name: str) -> Settings:
        return Settings(
            data_dir=tmp_path / name, journal_url=SecretStr(postgres_url), username="alice"
        )

    return settings


def stored_bytes(url: str) -> bytes:
    """Everything in the sessions table, read as an operator would (psycopg, not our code)."""
    with psycopg.connect(url) as db:
        rows = db.execute("SELECT account, envelope, updated_at FROM sessions").fetchall()
    return b"".join(str(account).encode() + bytes(envelope) for account, envelope, _ in rows)


def test_a_session_saved_by_one_worker_is_loaded_by_another(
    worker: Callable[[str], Settings], key: SessionKey, postgres_url: str
) -> None:
    first, second = worker("machine-1"), worker("machine-2")
    assert saved_session(first, "alice", key).save(state())
    there = saved_session(second, "alice", SessionKey(key.key, "keyring"))
    assert there.exists and there.load() == state()
    assert not (first.logins_dir.exists() and any(first.logins_dir.iterdir()))  # no file
    info = session_info(there)
    assert info.saved and info.encrypted and info.key_id == key.key_id
    assert info.path.startswith("the shared journal at 127.0.0.1:")
    assert "postgres@" not in info.path


def test_the_table_holds_the_sealed_envelope_only(
    worker: Callable[[str], Settings], key: SessionKey, postgres_url: str
) -> None:
    saved_session(worker("machine-1"), "alice", key).save(state())
    raw = stored_bytes(postgres_url)
    assert b"alice" in raw and b"ciphertext" in raw
    assert COOKIE.encode() not in raw  # never the plain state
    assert base64.urlsafe_b64encode(key.key).rstrip(b"=") not in raw  # never the key


def test_one_accounts_envelope_does_not_open_as_anothers(
    worker: Callable[[str], Settings], key: SessionKey, postgres_url: str
) -> None:
    settings = worker("machine-1")
    saved_session(settings, "bob", key).save(state("bob-cookie"))
    with open_journal(postgres_url) as journal:
        bobs = journal.session_envelope("bob")
        assert bobs is not None
        journal.save_session_envelope("alice", bobs, datetime.now(UTC))
    assert saved_session(settings, "alice", key).load() is None  # signs in again instead
    assert saved_session(settings, "bob", key).load() == state("bob-cookie")


def test_another_key_does_not_open_it(worker: Callable[[str], Settings], key: SessionKey) -> None:
    saved_session(worker("machine-1"), "alice", key).save(state())
    other = SessionKey(base64.urlsafe_b64decode(new_key()), "environment")
    assert saved_session(worker("machine-2"), "alice", other).load() is None


def test_shared_cookies_are_scrubbed_and_sessions_export_and_revoke(
    worker: Callable[[str], Settings],
    key: SessionKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = worker("machine-1")
    saved_session(settings, "alice", key).save(state())
    monkeypatch.setenv("ORDER_ASSISTANT_SESSION_KEY", base64.urlsafe_b64encode(key.key).decode())
    assert COOKIE in known_secrets(settings, configured=[])
    exported = tmp_path / "alice.session"
    export_account_session(settings, "alice", exported)
    assert COOKIE.encode() not in exported.read_bytes() and b"ciphertext" in exported.read_bytes()
    assert saved_session(settings, "alice", key).delete()
    assert not saved_session(worker("machine-2"), "alice", key).exists
