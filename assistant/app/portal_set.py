"""A worker's signed-in portals: one ``Portal`` (browser context) per account, one at a time.

Each worker opens the account's context on first use, with the account's saved login and
the account's ``SignInGate`` (shared with the other workers), and closes it before it
opens another account's: so N workers never hold more than N contexts. A recorded run
signs in where nothing records it and traces the context it records; a replayed run
answers every request from the recording.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.app.settings import Account, Settings
from flows.browser.handle import BrowserHandle, browser_alive

if TYPE_CHECKING:
    from flows.browser.recording import Recording
    from flows.browser.replay import HarReplayer
    from flows.browser.sessions import SessionFile, SessionKey
    from flows.pacing import Pacer
    from flows.portal import Credentials, Portal, SignInGate


@dataclass
class Session:
    """How a run talks to the portal: live, recorded into a folder, or replayed from one."""

    recording: Recording | None = None
    replayer: HarReplayer | None = None

    @property
    def sequential(self) -> bool:
        """Recording and replay follow one context's requests in order: one worker only."""
        return self.recording is not None or self.replayer is not None


@dataclass(frozen=True)
class Login:
    """What every worker of one account shares: credentials, sign-in gate and pacer."""

    credentials: Credentials
    gate: SignInGate
    pacer: Pacer
    #: The account's saved sign-in, encrypted with the session key.
    session: SessionFile


def logins_for(settings: Settings, accounts: list[Account]) -> dict[str, Login]:
    """Credentials and the session key resolved once (environment, keyring), in the
    calling thread (a keyring backend need not be thread-safe); a gate and a pacer per
    account."""
    from assistant.app.safety import pacer_for
    from flows.browser.sessions import resolve_key
    from flows.portal import Credentials, SignInGate

    key = resolve_key()
    return {
        account.username: Login(
            Credentials(account.username, account.resolved_password(), account.totp_secret),
            SignInGate(),
            pacer_for(settings, account.username),
            saved_session(settings, account.username, key),
        )
        for account in accounts
    }


def saved_session(settings: Settings, username: str, key: SessionKey | None) -> SessionFile:
    """The account's saved session, opened with ``key``: a file of the data directory, or
    the envelope in the shared journal when ``journal_url`` is set."""
    from assistant.app.shared_sessions import shared_store
    from flows.browser.sessions import SessionFile

    path = saved_login_path(settings, username)
    return SessionFile(path, username, key, store=shared_store(settings, username))


class PortalSet:
    """The portals of one worker: the current account's context open, the others closed."""

    def __init__(
        self,
        settings: Settings,
        browser: BrowserHandle,
        logins: dict[str, Login],
        session: Session | None = None,
    ) -> None:
        from flows.profile import load_profile

        self.settings = settings
        self.browser = browser
        self.logins = logins
        self.session = session or Session()
        self.profile = load_profile(settings.portal_profile)
        self.current: str | None = None
        self._portal: Portal | None = None
        self._stack = ExitStack()

    def __enter__(self) -> PortalSet:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the open context (the recording's trace is written first).

        With the browser gone (crashed, killed) there is nothing left to close, and
        trying would only raise over the error that ended it.
        """
        stack, self._stack = self._stack, ExitStack()
        self._portal = None
        self.current = None
        if self.alive:
            stack.close()

    @property
    def alive(self) -> bool:
        """Whether the browser is still there (not crashed, not killed)."""
        return browser_alive(self.browser)

    def still_alive(self) -> bool:
        """``alive``, asked of the browser itself: for the moment after a failure."""
        return browser_alive(self.browser, probe=True)

    def get(self, account: Account) -> Portal:
        """The account's portal, opening its context (and closing another's) if needed."""
        if self._portal is not None and self.current == account.username:
            return self._portal
        self.close()
        portal = self._open(account)
        self._portal, self.current = portal, account.username
        return portal

    def _make(self, account: Account, **options: Any) -> Portal:
        from flows.portal import Portal

        login = self.logins[account.username]
        options.setdefault("pacer", login.pacer)
        options.setdefault("block_assets", self.settings.block_assets)
        return Portal(
            self.browser,
            base_url=self.settings.portal_url,
            profile=self.profile,
            credentials=login.credentials,
            session=login.session,
            timeout_ms=self.settings.timeout_ms,
            gate=login.gate,
            **options,
        )

    def _open(self, account: Account) -> Portal:
        stack = self._stack
        recording, replayer = self.session.recording, self.session.replayer
        if recording is not None:
            # Sign in where nothing records it; the recorded context reuses the login.
            # (Handed over in memory: without a session key nothing is saved on disk.)
            with self._make(account) as signing_in:
                signing_in.ensure_signed_in()
                signed_in = signing_in.signed_in_state()
            options = recording.context_options()
            portal = stack.enter_context(
                self._make(account, block_assets=False, context_options=options, state=signed_in)
            )
            portal.start_recording(recording)
            stack.callback(portal.stop_recording, recording)  # runs before the close
        elif replayer is not None:
            # Nothing reaches a portal: a replay is not paced.
            portal = stack.enter_context(self._make(account, block_assets=False, pacer=None))
            portal.replay(replayer)
        else:
            portal = stack.enter_context(self._make(account))
        return portal


def _readable(username: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in username)


def login_file_name(username: str) -> str:
    """The account's saved-login file: readable, and never shared by two accounts.

    The readable part alone could be ("a+b@x" and "a_b@x", or two names differing in case
    on a case-insensitive disk): a context would then take over another account's login.
    """
    digest = hashlib.sha256(username.encode("utf-8")).hexdigest()[:10]
    return f"{_readable(username)}-{digest}.json"


def saved_login_path(settings: Settings, username: str) -> Path:
    """Where the account's login is saved; a login saved under the older, readable-only
    name is moved there when no other configured account could have written it."""
    path = settings.logins_dir / login_file_name(username)
    older = settings.logins_dir / f"{_readable(username)}.json"
    if not path.exists() and older.is_file():
        others = [a.username for a in settings.all_accounts() if a.username != username]
        if all(_readable(other) != _readable(username) for other in others):
            os.replace(older, path)
    return path
