"""Sign-in sessions shared by every worker through the PostgreSQL journal.

With ``journal_url`` set, workers on several machines must use one sign-in per account:
the account's sealed envelope (AES-256-GCM, the account bound to it; see
``flows.browser.sessions``) is kept in the journal's ``sessions`` table instead of a file
of one machine. This module is the bridge the layers need: the flows seal and open the
envelope and know no journal, the journal stores bytes and knows no browser. The key
still comes only from ORDER_ASSISTANT_SESSION_KEY or the keyring of each machine.
"""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.app.settings import Settings
from assistant.journal.store import open_journal


class JournalEnvelopes:
    """One account's sealed envelope in the shared journal (an ``EnvelopeStore``).

    Each call opens its own connection: a session is read when a context opens and
    written after a sign-in, by whichever worker thread does it.
    """

    def __init__(self, location: str, account: str) -> None:
        self._location = location
        self.account = account

    @property
    def where(self) -> str:
        """The shared journal's database, as "host:port/name" (never its password)."""
        from assistant.journal.pg_connect import where

        return f"the shared journal at {where(self._location)}"

    def exists(self) -> bool:
        """Whether the account has an envelope in the journal."""
        return self.read() is not None

    def read(self) -> bytes | None:
        """The account's envelope as sealed, or None."""
        with open_journal(self._location) as journal:
            return journal.session_envelope(self.account)

    def write(self, data: bytes) -> None:
        """Store (replace) the account's envelope; committed on return."""
        with open_journal(self._location) as journal:
            journal.save_session_envelope(self.account, data, datetime.now(UTC))

    def delete(self) -> bool:
        """Forget the account's envelope; True if there was one."""
        with open_journal(self._location) as journal:
            return journal.delete_session_envelope(self.account)


def shared_store(settings: Settings, account: str) -> JournalEnvelopes | None:
    """The account's envelope store in the shared journal, or None (the embedded default
    keeps it in a file of the data directory)."""
    if settings.journal_url is None:
        return None
    return JournalEnvelopes(settings.journal_url.get_secret_value(), account)


def shared_accounts(settings: Settings) -> list[str]:
    """The accounts with a session in the shared journal ([] without one)."""
    if settings.journal_url is None:
        return []
    with open_journal(settings.journal_url.get_secret_value()) as journal:
        return journal.session_accounts()
