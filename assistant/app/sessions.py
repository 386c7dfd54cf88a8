"""Sign-in by the person, and the saved sessions: ``login`` and ``session ...``.

Many accounts have no password to give (Google, Apple, SMS codes, passkeys), and the
safest password is one the assistant never holds. So the person signs in in a browser
window the assistant opens, and the assistant keeps only the session, encrypted. These are
the use cases around that session: make it, move it to a server, look at it, end it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.app.portal_set import saved_session
from assistant.app.schedule import make_clock
from assistant.app.settings import Settings
from assistant.app.workers import launched_for
from assistant.domain.errors import ConfigError
from assistant.domain.kinds import CaseStatus
from assistant.journal.store import open_journal
from flows.browser.sessions import (
    KEY_ENV,
    SessionFile,
    SessionKey,
    export_session,
    import_session,
    resolve_key,
)

if TYPE_CHECKING:
    from flows.portal import Person

log = logging.getLogger(__name__)

#: How to end a session on the site itself: deleting the file does not sign anyone out.
END_ON_SITE = (
    "to end it on the portal too, sign out there (or use the account's 'sign out of all "
    "devices' / security settings): until then the portal keeps the session valid"
)


@dataclass(frozen=True)
class SessionInfo:
    """What is known about one account's saved session without decrypting it."""

    account: str
    #: Where the envelope is kept: the file's path, or the shared journal.
    path: str
    saved: bool
    encrypted: bool
    key_id: str | None
    saved_at: str | None
    expires: str | None


def session_key(*, create: bool = True) -> SessionKey:
    """The session key, or a ConfigError saying how to get one (no keyring, no variable)."""
    key = resolve_key(create=create)
    if key is None:
        raise ConfigError(
            "no session key: sessions are kept encrypted, and there is neither a system "
            f"keyring nor {KEY_ENV}",
            key=KEY_ENV,
            fix=f"`order-assistant session key` prints a new key: set {KEY_ENV} to it "
            "(kept apart from the data directory, e.g. in the service's environment)",
        )
    return key


def _account_session(
    settings: Settings, account_name: str | None, key: SessionKey | None
) -> SessionFile:
    from assistant.app.service import account_for

    account = account_for(settings, account_name)
    return saved_session(settings, account.username, key)


def login_by_person(
    settings: Settings,
    account_name: str | None,
    *,
    wait_minutes: float,
    headless: bool = False,
    person: Person | None = None,
    told: Callable[[str], None] = lambda _: None,
) -> SessionInfo:
    """Open a browser window on the portal's sign-in, wait while the person signs in,
    then save the session encrypted; the account's waiting cases are due again at once.

    ``headless``/``person``: tests put a script in the person's place.
    """
    from assistant.app.service import account_for

    account = account_for(settings, account_name)
    key = session_key()
    if not headless:
        _need_display()
    session = saved_session(settings, account.username, key)
    from flows.portal import Credentials, Portal
    from flows.profile import load_profile

    with launched_for(settings, headless=headless) as (_, browser):
        portal = Portal(
            browser,
            base_url=settings.portal_url,
            profile=load_profile(settings.portal_profile),
            credentials=Credentials(account.username, None),  # the person types, not us
            timeout_ms=settings.timeout_ms,
            guard=False,  # the person may sign in on Google's or Apple's site
        )
        with portal:
            told(
                f"A browser window shows {settings.portal_url}: sign in there as "
                f"{account.username}, the way you usually do. The assistant never sees what "
                f"you type. Waiting up to {wait_minutes:g} min..."
            )
            # Set only now: the context starts empty, whatever an old session says.
            portal.session = session
            portal.await_person_sign_in(timeout_ms=wait_minutes * 60_000, person=person)
    _resume_cases(settings, account.username)
    return session_info(session)


def _need_display() -> None:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise ConfigError(
            "`login` opens a browser window, and this machine has no display",
            key="DISPLAY",
            fix="run `order-assistant login` on a desktop, then move the session here with "
            "`session export` / `session import` (and the key apart from it)",
        )


def _resume_cases(settings: Settings, account: str) -> None:
    """Cases held for the person's sign-in are looked at by the next run, not in an hour."""
    now: datetime = make_clock(settings)()
    with open_journal(settings.journal_location) as journal:
        for case in journal.cases():
            if case.account == account and case.status is CaseStatus.NEEDS_USER:
                journal.reschedule(case.id, next_due=now, now=now)
        journal.end_cooldown(account, now)


def session_info(session: SessionFile) -> SessionInfo:
    """The account's saved session as ``session status`` shows it."""
    envelope = session.envelope()
    return SessionInfo(
        account=session.account,
        path=session.where,
        saved=session.exists,
        encrypted=envelope is not None,
        key_id=str(envelope["key_id"]) if envelope else None,
        saved_at=str(envelope.get("saved_at")) if envelope else None,
        expires=str(envelope["expires"]) if envelope and envelope.get("expires") else None,
    )


def sessions_status(settings: Settings) -> tuple[list[SessionInfo], SessionKey | None]:
    """Every configured account's saved session, and this machine's key (if any)."""
    key = resolve_key(create=False)
    infos = [
        session_info(saved_session(settings, account.username, key))
        for account in settings.all_accounts()
    ]
    return infos, key


def export_account_session(settings: Settings, account_name: str | None, dest: Path) -> SessionInfo:
    """Write the account's encrypted session to ``dest`` for another machine."""
    session = _account_session(settings, account_name, resolve_key(create=False))
    session.load()  # an older plain file is encrypted first, given a key
    export_session(session, dest)
    return session_info(session)


def import_account_session(settings: Settings, account_name: str | None, src: Path) -> SessionInfo:
    """Take an exported session as this machine's (the key must be this machine's)."""
    session = _account_session(settings, account_name, session_key(create=False))
    import_session(src, session)
    _resume_cases(settings, session.account)
    return session_info(session)


def revoke_session(settings: Settings, account_name: str | None) -> tuple[str, bool]:
    """Delete the account's saved session (and the login of it in this data dir)."""
    session = _account_session(settings, account_name, None)
    return session.account, session.delete()
