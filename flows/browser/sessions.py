"""Saved sign-in sessions, encrypted at rest.

A signed-in context's storage state (its cookies) *is* the account: whoever copies the
file is signed in. So it is never written in clear: AES-256-GCM, with the key kept apart
from the file, in ``ORDER_ASSISTANT_SESSION_KEY`` or the system keyring. The account name
is bound to the ciphertext, so one account's file cannot be passed off as another's. A
file that cannot be decrypted is not an error: the account signs in again. Without a key
the session lives in memory only, for the run.

Where the sealed envelope is kept is pluggable (``EnvelopeStore``): a file under the data
directory by default; the distributed mode gives a store in the shared journal (bridged by
``assistant.app``, as the flows know no journal), so workers on several machines use one
sign-in. Only the sealed envelope ever reaches a store, and the key never does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from assistant.domain.errors import ConfigError

log = logging.getLogger(__name__)

KEY_ENV = "ORDER_ASSISTANT_SESSION_KEY"
KEYRING_SERVICE = "order-assistant"
KEYRING_ENTRY = "session-key"
FORMAT = "order-assistant-session"
VERSION = 1
_KEY_BYTES = 32
_NONCE_BYTES = 12
_MAKE_KEY = f"make one with `order-assistant session key` and set {KEY_ENV} to it"
_NEEDS_KEY = f"set {KEY_ENV} (`order-assistant session key` makes one) or make a keyring available"


def new_key() -> str:
    """A fresh session key as text: the URL-safe base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii")


@dataclass(frozen=True)
class SessionKey:
    """The AES-256 key of the saved sessions and where it came from (environment, keyring)."""

    key: bytes = field(repr=False)
    source: str

    @property
    def key_id(self) -> str:
        """A short fingerprint (sha256): says which key a file needs without revealing it."""
        return hashlib.sha256(self.key).hexdigest()[:8]

    def __repr__(self) -> str:
        return f"SessionKey(source={self.source!r}, key_id={self.key_id!r})"


def _decode_key(text: str) -> bytes | None:
    """The 32 key bytes of a URL-safe base64 text (padding optional), None if it is not one."""
    text = text.strip()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == _KEY_BYTES else None


def resolve_key(
    *, create: bool = True, environ: Mapping[str, str] | None = None
) -> SessionKey | None:
    """The session key: ``ORDER_ASSISTANT_SESSION_KEY``, else the keyring's, else a new one.

    A new key is stored in the keyring (only when ``create`` and the keyring works: it is
    read back). None when there is no key and no usable keyring: sessions then stay in
    memory. A malformed key in the environment, or in the keyring, is a ConfigError.
    """
    env = os.environ if environ is None else environ
    text = env.get(KEY_ENV, "")
    if text.strip():
        key = _decode_key(text)
        if key is None:
            raise ConfigError(
                "not a session key (the URL-safe base64 of 32 bytes)", key=KEY_ENV, fix=_MAKE_KEY
            )
        return SessionKey(key, "environment")
    try:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, KEYRING_ENTRY)
        if not stored and create:
            keyring.set_password(KEYRING_SERVICE, KEYRING_ENTRY, new_key())
            # Read back: a null backend accepts and forgets; a concurrent run may have won.
            stored = keyring.get_password(KEYRING_SERVICE, KEYRING_ENTRY)
            if stored:
                log.info("created a session key in the system keyring")
    except Exception as exc:  # any backend failure (KeyringError, D-Bus, locked): no keyring
        log.debug("no usable keyring for the session key: %s", type(exc).__name__)
        return None
    if not stored:
        return None
    key = _decode_key(stored)
    if key is None:
        raise ConfigError(
            "the keyring's session key is not a key (the URL-safe base64 of 32 bytes)",
            key=f"keyring {KEYRING_SERVICE}/{KEYRING_ENTRY}",
            fix=f"delete it (`keyring del {KEYRING_SERVICE} {KEYRING_ENTRY}`) to get a new "
            f"one, or set {KEY_ENV}",
        )
    return SessionKey(key, "keyring")


class EnvelopeStore(Protocol):
    """Where one account's sealed session envelope is kept (the bytes, as sealed)."""

    @property
    def where(self) -> str:
        """Where it is, for messages (a path, or the shared journal)."""

    def exists(self) -> bool:
        """Whether an envelope (or an older plain session) is saved."""

    def read(self) -> bytes | None:
        """The saved bytes, None when there are none; ``OSError`` when unreadable."""

    def write(self, data: bytes) -> None:
        """Replace the saved bytes (atomically: a reader sees the old or the new)."""

    def delete(self) -> bool:
        """Forget the saved bytes; True if there were some."""


class EnvelopeFile:
    """The default store: a private file (0600 in a 0700 folder), written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def where(self) -> str:
        """The file's path."""
        return str(self.path)

    def exists(self) -> bool:
        """Whether the file is there."""
        return self.path.is_file()

    def read(self) -> bytes | None:
        """The file's bytes, None when there is no file."""
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None

    def write(self, data: bytes) -> None:
        """Write the file atomically, 0600 from the first byte."""
        _write_private(self.path, data)

    def delete(self) -> bool:
        """Remove the file; True if there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


class SessionFile:
    """One account's saved session: an encrypted envelope (JSON) in a store.

    ``path`` is the account's file in the data directory; it is also where the envelope is
    kept unless ``store`` says otherwise (the shared journal of the distributed mode).
    """

    def __init__(
        self,
        path: Path,
        account: str,
        key: SessionKey | None,
        *,
        store: EnvelopeStore | None = None,
    ) -> None:
        self.path = path
        self.account = account
        self.key = key
        self.store: EnvelopeStore = store if store is not None else EnvelopeFile(path)
        self._warned_no_key = False

    def __repr__(self) -> str:
        return f"SessionFile({self.store.where!r}, account={self.account!r}, key={self.key!r})"

    @property
    def where(self) -> str:
        """Where the envelope is kept, for messages."""
        return self.store.where

    @property
    def exists(self) -> bool:
        """True when a saved session (encrypted or not) is in the store."""
        return self.store.exists()

    def envelope(self) -> dict[str, Any] | None:
        """The saved envelope's metadata (account, key_id, saved_at, expires), without
        decrypting; None when there is none or it is not an envelope."""
        try:
            raw = self.store.read()
        except OSError:
            return None
        envelope = _parse(raw) if raw is not None else None
        if envelope is None:
            return None
        return {k: v for k, v in envelope.items() if k not in ("nonce", "ciphertext")}

    def load(self) -> dict[str, Any] | None:
        """The saved storage state; None when there is none or it cannot be read.

        A file in the older plain format is returned and, given a key, encrypted in place.
        A file that does not decrypt (another key, altered, another account's) is left as
        it is and logged: the account signs in again.
        """
        try:
            raw = self.store.read()
            if raw is None:
                return None
            data = json.loads(raw)
        except (OSError, ValueError) as exc:
            log.warning("unreadable saved session of %s (%s): %s", self.account, self.where, exc)
            return None
        if _is_envelope(data):
            return self._open(data)
        if isinstance(data, dict) and isinstance(data.get("cookies"), list):
            self._migrate(data)
            return data
        log.warning("unreadable saved session of %s (%s)", self.account, self.where)
        return None

    def save(self, state: dict[str, Any]) -> bool:
        """Encrypt and write the state atomically; False (nothing written) without a key."""
        if self.key is None:
            if not self._warned_no_key:
                log.warning(
                    "no session key: the session of %s is kept in memory only. Fix: %s",
                    self.account,
                    _NEEDS_KEY,
                )
                self._warned_no_key = True
            return False
        self.store.write(_seal(state, self.account, self.key))
        return True

    def delete(self) -> bool:
        """Remove the saved session; True if there was one."""
        return self.store.delete()

    def cookies(self) -> list[dict[str, Any]]:
        """The saved session's cookies ([] when there is none)."""
        state = self.load()
        found = state.get("cookies") if state else None
        return list(found) if isinstance(found, list) else []

    def _open(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        if self.key is None:
            log.warning(
                "the saved session of %s (%s) is encrypted and there is no session key. Fix: %s",
                self.account,
                self.where,
                _NEEDS_KEY,
            )
            return None
        state = _unseal(envelope, self.account, self.key)
        if state is None:
            log.warning(
                "the saved session of %s (%s) does not decrypt (key %s; the file needs key "
                "%s, or it was altered or is another account's): signing in again",
                self.account,
                self.where,
                self.key.key_id,
                envelope.get("key_id"),
            )
        return state

    def _migrate(self, state: dict[str, Any]) -> None:
        if self.key is None:
            log.warning(
                "the saved session of %s (%s) is not encrypted. Fix: %s",
                self.account,
                self.where,
                _NEEDS_KEY,
            )
            return
        try:
            self.save(state)
        except OSError as exc:
            log.warning("could not encrypt the saved session of %s: %s", self.account, exc)
            return
        log.info("encrypted the saved session of %s", self.account)


def read_envelope(path: Path) -> dict[str, Any] | None:
    """An envelope's metadata (account, key_id, saved_at, expires), without decrypting.

    None when the file is missing or not an envelope (the older plain format, say).
    """
    try:
        envelope = _parse(path.read_bytes())
    except OSError:
        return None
    if envelope is None:
        return None
    return {k: v for k, v in envelope.items() if k not in ("nonce", "ciphertext")}


def export_session(source: SessionFile, dest: Path) -> None:
    """Copy the account's encrypted session to ``dest`` (0600); the key is moved apart."""
    raw = source.store.read()
    if raw is None:
        raise ConfigError(
            f"no saved session of {source.account}",
            key="session",
            fix="sign in first (any command that opens the portal saves the session)",
        )
    envelope = _parse(raw)
    if envelope is None:
        raise ConfigError(
            f"the saved session of {source.account} is not encrypted",
            key="session",
            fix=f"{_NEEDS_KEY}; the session is encrypted the next time it is used",
        )
    _write_private(dest, raw)


def import_session(src: Path, target: SessionFile) -> None:
    """Install an exported session for ``target``'s account, checked to decrypt here."""
    try:
        raw = src.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {src}: {exc}", key="session") from exc
    envelope = _parse(raw)
    if envelope is None:
        raise ConfigError(
            f"{src} is not an exported session",
            key="session",
            fix="export it with `order-assistant session export` on the machine signed in",
        )
    if envelope["account"] != target.account:
        raise ConfigError(
            f"{src} is the session of {envelope['account']}, not {target.account}",
            key="session",
            fix="import it for the account it was exported from",
        )
    needs = envelope.get("key_id")
    if target.key is None or _unseal(envelope, target.account, target.key) is None:
        has = f"this machine's key is {target.key.key_id}" if target.key else "there is none"
        raise ConfigError(
            f"{src} needs the session key {needs} ({has})",
            key=KEY_ENV,
            fix=f"set {KEY_ENV} to the session key of the machine that exported it",
        )
    target.store.write(raw)


def _seal(state: dict[str, Any], account: str, key: SessionKey) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    plain = json.dumps(state, separators=(",", ":")).encode("utf-8")
    envelope = {
        "format": FORMAT,
        "version": VERSION,
        "account": account,
        "key_id": key.key_id,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "expires": _earliest_expiry(state),
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "ciphertext": base64.b64encode(
            AESGCM(key.key).encrypt(nonce, plain, account.encode("utf-8"))
        ).decode("ascii"),
    }
    return json.dumps(envelope, indent=1).encode("utf-8")


def _unseal(envelope: dict[str, Any], account: str, key: SessionKey) -> dict[str, Any] | None:
    """The decrypted state, None if the key, the account or the bytes do not match."""
    try:
        nonce = base64.b64decode(envelope["nonce"], validate=True)
        sealed = base64.b64decode(envelope["ciphertext"], validate=True)
        plain = AESGCM(key.key).decrypt(nonce, sealed, account.encode("utf-8"))
        state = json.loads(plain)
    except (InvalidTag, binascii.Error, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _earliest_expiry(state: dict[str, Any]) -> str | None:
    """When the first cookie that expires does (Playwright gives -1 for a browser session)."""
    times: list[float] = []
    for cookie in state.get("cookies") or []:
        expires = cookie.get("expires") if isinstance(cookie, dict) else None
        if isinstance(expires, int | float) and not isinstance(expires, bool) and expires > 0:
            times.append(expires)
    try:
        return datetime.fromtimestamp(min(times), UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):  # no cookie expires, or out of range
        return None


def _is_envelope(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and data.get("format") == FORMAT
        and data.get("version") == VERSION
        and all(isinstance(data.get(k), str) for k in ("account", "nonce", "ciphertext"))
    )


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if _is_envelope(data) else None


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` atomically, 0600 from the first byte, in a 0700 directory if new."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
