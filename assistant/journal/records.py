"""What the journal hands back: cases, events, attempts and cool-downs, whatever the backend.

Plain frozen dataclasses shared by the SQLite file and the PostgreSQL journal, and the few
rules both apply the same way (how long the next cool-down lasts, which attempts count).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from assistant.domain.kinds import CaseStatus
from assistant.journal.kinds import AttemptOutcome, EventKind


@dataclass(frozen=True)
class Case:
    """One followed order of one account, as stored."""

    id: int
    account: str
    order_id: str
    intent: dict[str, Any]
    status: CaseStatus
    waiting_for: str | None
    next_due: datetime | None
    advice: str | None
    created_at: datetime
    updated_at: datetime
    #: The worker holding the case (distributed mode), until ``lease_until``; None: free.
    lease_holder: str | None = None
    lease_until: datetime | None = None

    def leased_to_another(self, holder: str | None, now: datetime) -> bool:
        """Whether someone other than ``holder`` holds an unexpired lease on the case."""
        return (
            self.lease_holder is not None
            and self.lease_holder != holder
            and self.lease_until is not None
            and now < self.lease_until
        )


@dataclass(frozen=True)
class Event:
    """One line of a case's history."""

    id: int
    at: datetime
    kind: EventKind
    payload: dict[str, Any]


@dataclass(frozen=True)
class Attempt:
    """An action written before it was tried; confirmed once the portal showed its effect."""

    id: int
    case_id: int
    action_key: str
    payload: dict[str, Any]
    attempted_at: datetime
    confirmed_at: datetime | None
    outcome: AttemptOutcome | None


@dataclass(frozen=True)
class Cooldown:
    """An account left alone after the portal's anti-bot check, until ``until``."""

    account: str
    started_at: datetime
    until: datetime
    minutes: float
    reason: str

    def active(self, now: datetime) -> bool:
        """Whether the account is still to be left alone at ``now``."""
        return now < self.until


def cooldown_minutes(
    previous: Cooldown | None,
    now: datetime,
    *,
    first: timedelta,
    longest: timedelta,
    repeat_within: timedelta,
) -> float:
    """The next cool-down's length: ``first``, or twice the last one (up to ``longest``)
    when the check comes back within ``repeat_within`` of its end.

    Insisting is what turns a check into a locked account, so every repeat waits longer.
    """
    minutes = first.total_seconds() / 60
    if previous is not None and now < previous.until + repeat_within:
        minutes = min(previous.minutes * 2, longest.total_seconds() / 60)
    return minutes


def unsettled(attempts: Iterable[Attempt]) -> list[Attempt]:
    """Attempts whose effect was never checked: the process died mid-action."""
    return [a for a in attempts if a.confirmed_at is None]


def confirmed_keys(attempts: Iterable[Attempt]) -> set[str]:
    """Keys of the actions the portal confirmed: never to be done again."""
    return {a.action_key for a in attempts if a.outcome is AttemptOutcome.CONFIRMED}
