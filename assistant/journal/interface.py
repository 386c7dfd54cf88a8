"""The journal's interface: what the application may ask of any journal backend.

Two backends implement it: the SQLite file of the embedded default
(``assistant.journal.store.SqliteJournal``) and the PostgreSQL journal many workers share
(``assistant.journal.postgres.PgJournal``). The application types its journals as this
protocol and gets one from ``open_journal``, so it never knows which it holds. Every method
that writes has committed when it returns.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from assistant.domain.kinds import CaseStatus
from assistant.journal.kinds import AttemptOutcome, EventKind
from assistant.journal.records import Attempt, Case, Cooldown, Event


class Journal(Protocol):
    """One open connection to a journal (SQLite file or PostgreSQL database)."""

    @property
    def schema_version(self) -> int:
        """How many of the backend's migrations the journal has had."""

    def migrate(self) -> None:
        """Bring the schema to the newest version (``open_journal`` does it)."""

    # -- cases --------------------------------------------------------------------------
    def open_case(self, account: str, order_id: str, intent: dict[str, Any], now: datetime) -> Case:
        """The case for (account, order), created if new. An existing case keeps its intent."""

    def find_case(self, account: str, order_id: str) -> Case | None:
        """The stored case, or None."""

    def case(self, case_id: int) -> Case | None:
        """The stored case by id, or None."""

    def cases(self, order_id: str | None = None) -> list[Case]:
        """All cases (or those of one order number), oldest first."""

    def due_cases(self, now: datetime, *, unleased_only: bool = False) -> list[Case]:
        """Open cases whose next check is due (or that hold an unconfirmed attempt);
        ``unleased_only``: without those a worker holds an unexpired lease on."""

    def next_due(self) -> datetime | None:
        """The earliest moment an open case wants attention."""

    def update_case(
        self,
        case_id: int,
        *,
        status: CaseStatus,
        now: datetime,
        waiting_for: str | None = None,
        next_due: datetime | None = None,
        advice: str | None = None,
    ) -> None:
        """Set where the case stands and when to look again."""

    def reschedule(self, case_id: int, *, next_due: datetime, now: datetime) -> None:
        """Look at the case again at ``next_due``; everything else about it stays."""

    # -- leases (distributed mode) ------------------------------------------------------
    def lease_case(self, case_id: int, holder: str, now: datetime, seconds: float) -> Case | None:
        """Take (or renew) the open case for ``holder`` until ``now + seconds``, unless
        another holder's lease is unexpired; the case as now stored, or None."""

    def release_case(self, case_id: int, holder: str) -> None:
        """Drop the lease if ``holder`` still has it."""

    # -- history ------------------------------------------------------------------------
    def record(self, case_id: int, kind: EventKind, payload: dict[str, Any], now: datetime) -> None:
        """Append an observation, plan, message, refund reading or error to a case."""

    def events(self, case_id: int, kind: EventKind | None = None) -> list[Event]:
        """A case's history in order, optionally of one kind."""

    # -- attempts -----------------------------------------------------------------------
    def begin_attempt(
        self, case_id: int, action_key: str, payload: dict[str, Any], now: datetime
    ) -> int:
        """Write the intention to act *before* acting; committed before the click."""

    def settle_attempt(self, attempt_id: int, outcome: AttemptOutcome, now: datetime) -> None:
        """Close an attempt: confirmed (seen on the portal) or not applied (proven absent)."""

    def attempts(self, case_id: int) -> list[Attempt]:
        """Every attempt of a case, oldest first."""

    def unsettled_attempts(self, case_id: int) -> list[Attempt]:
        """Attempts whose effect was never checked: the process died mid-action."""

    def done_actions(self, case_id: int) -> set[str]:
        """Keys of the actions the portal confirmed: never to be done again."""

    # -- notifications ------------------------------------------------------------------
    def notice_open(self, key: str) -> bool:
        """Whether this event was announced already and has not been resolved since."""

    def record_notice(
        self, key: str, *, account: str, order_id: str | None, kind: str, now: datetime
    ) -> None:
        """Remember that the event was announced (again, if it had been resolved)."""

    def resolve_notices(self, prefix: str, now: datetime) -> None:
        """The events under ``prefix`` are over: if they come back, they are announced again."""

    # -- account safety -----------------------------------------------------------------
    def start_cooldown(
        self,
        account: str,
        now: datetime,
        reason: str,
        *,
        first: timedelta,
        longest: timedelta,
        repeat_within: timedelta,
    ) -> Cooldown:
        """Put the account in a cool-down (``records.cooldown_minutes`` says how long)."""

    def end_cooldown(self, account: str, now: datetime) -> None:
        """End a running cool-down now; a check that comes back soon still counts as a
        repeat."""

    def cooldown(self, account: str) -> Cooldown | None:
        """The account's last cool-down (over or not), or None if it never had one."""

    def cooldowns(self) -> list[Cooldown]:
        """Every account's last cool-down, by account."""

    def record_paced_action(self, account: str, at: float) -> None:
        """One portal action of the account at wall-clock ``at`` (seconds)."""

    def paced_actions(self, account: str, since: float) -> list[float]:
        """The account's portal actions since wall-clock ``since``, oldest first."""

    # -- shared sign-in sessions (sealed envelopes only, never the plain state) ---------
    def session_envelope(self, account: str) -> bytes | None:
        """The account's sealed sign-in envelope as saved, or None."""

    def save_session_envelope(self, account: str, envelope: bytes, now: datetime) -> None:
        """Store (replace) the account's sealed sign-in envelope."""

    def delete_session_envelope(self, account: str) -> bool:
        """Forget the account's envelope; True if there was one."""

    def session_accounts(self) -> list[str]:
        """The accounts with a saved envelope, by name."""

    def close(self) -> None:
        """Close the connection."""
