"""The journal in PostgreSQL: one database many workers on many machines share.

The same interface and the same semantics as the SQLite file (``assistant.journal.store``),
with psycopg 3 and no ORM. The connection runs in autocommit, so a single write has
committed when its method returns (an attempt is durable before the click, as in the
file); the writes that read first or touch two rows run in one transaction. A case is
leased with ``SELECT ... FOR UPDATE SKIP LOCKED``: two workers asking for the same case at
once never both get it, and a lease that expires lets another worker finish the case of
one that died. Times are ``timestamptz`` read back in UTC; JSON is stored as text. A call
that fails because the connection is gone (the server restarted, failed over, the network
cut) raises ``JournalUnavailableError``, never the driver's error (``_Connection``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.abc import Params, QueryNoTemplate
from psycopg.rows import dict_row

from assistant.domain.errors import JournalUnavailableError
from assistant.domain.kinds import CLOSED_CASE_STATES, CaseStatus
from assistant.journal import pg_schema
from assistant.journal.kinds import AttemptOutcome, EventKind
from assistant.journal.pg_connect import connect_journal_db, lost, unavailable
from assistant.journal.records import (
    Attempt,
    Case,
    Cooldown,
    Event,
    confirmed_keys,
    cooldown_minutes,
    unsettled,
)

#: The closed states (``CaseStatus.closed``), bound as one array parameter.
_CLOSED = sorted(s.value for s in CLOSED_CASE_STATES)


def _at(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("journal times must be timezone-aware")
    return moment.astimezone(UTC)


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def _text(value: str | None) -> str | None:
    """Free text as PostgreSQL can hold it: a text column refuses NUL (SQLite does not)."""
    return value.replace("\x00", "\ufffd") if value is not None else None


class _Connection:
    """The connection as the journal's methods use it: a call that fails for a reason of
    the database's (``OperationalError``, ``InterfaceError``: the connection gone, or a
    time-out or deadlock on a live one) raises the ``JournalUnavailableError`` that
    ``lost`` makes of it, whichever method made the call, saying which of the two it was.
    Programming errors and constraint violations stay what they are: bugs to see."""

    def __init__(
        self,
        connection: pg_schema.Connection,
        lost: Callable[[psycopg.Error, bool], JournalUnavailableError],
    ) -> None:
        self.raw = connection
        self._lost = lost

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Run database calls; a connection that broke leaves as ``JournalUnavailableError``."""
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            gone = self.raw.broken or self.raw.closed
            raise self._lost(exc, gone) from None  # the driver's text may hold the URL

    def execute(
        self, query: QueryNoTemplate, params: Params | None = None
    ) -> psycopg.Cursor[dict[str, Any]]:
        # A client-side cursor has every row once this returns: fetching makes no call.
        with self.answering():
            return self.raw.execute(query, params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        # Outside the transaction: its commit (or rollback) on exit may meet the break too.
        with self.answering(), self.raw.transaction():
            yield

    def close(self) -> None:
        self.raw.close()  # never raises, not even on a connection that broke


class PgJournal:
    """One connection to the shared PostgreSQL journal. Use ``open_journal(url)``.

    ``lost`` makes the ``JournalUnavailableError`` raised when a call finds the connection
    gone, or refused (``pg_connect.lost``: the database named without its password, what
    to do).
    """

    def __init__(
        self,
        connection: pg_schema.Connection,
        where: str,
        lost: Callable[[psycopg.Error, bool], JournalUnavailableError],
    ) -> None:
        self._db = _Connection(connection, lost)
        #: The database as "host:port/name" (never the password), for messages.
        self.where = where

    # -- schema -------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest version (``pg_schema.migrate``); only
        ``open_pg_journal`` calls it, and says itself why a failure happened."""
        pg_schema.migrate(self._db.raw)

    @property
    def schema_version(self) -> int:
        """How many of ``pg_schema.MIGRATIONS`` the database has had."""
        with self._db.answering():
            return pg_schema.schema_version(self._db.raw)

    # -- cases --------------------------------------------------------------------------
    def open_case(self, account: str, order_id: str, intent: dict[str, Any], now: datetime) -> Case:
        """The case for (account, order), created if new. An existing case keeps its intent."""
        self._db.execute(
            "INSERT INTO cases (account, order_id, intent, status, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (account, order_id) DO NOTHING",
            (account, order_id, json.dumps(intent), CaseStatus.NEW.value, _at(now), _at(now)),
        )
        case = self.find_case(account, order_id)
        assert case is not None
        return case

    def find_case(self, account: str, order_id: str) -> Case | None:
        """The stored case, or None."""
        row = self._db.execute(
            "SELECT * FROM cases WHERE account = %s AND order_id = %s", (account, order_id)
        ).fetchone()
        return _case(row) if row else None

    def case(self, case_id: int) -> Case | None:
        """The stored case by id, or None."""
        row = self._db.execute("SELECT * FROM cases WHERE id = %s", (case_id,)).fetchone()
        return _case(row) if row else None

    def cases(self, order_id: str | None = None) -> list[Case]:
        """All cases (or those of one order number), oldest first."""
        if order_id is None:
            rows = self._db.execute("SELECT * FROM cases ORDER BY id").fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM cases WHERE order_id = %s ORDER BY id", (order_id,)
            ).fetchall()
        return [_case(row) for row in rows]

    def due_cases(self, now: datetime, *, unleased_only: bool = False) -> list[Case]:
        """Open cases whose next check is due (or that hold an unconfirmed attempt);
        ``unleased_only``: without those a worker holds an unexpired lease on."""
        rows = self._db.execute(
            "SELECT * FROM cases WHERE status <> ALL(%(closed)s::text[])"
            " AND (next_due IS NULL OR next_due <= %(now)s"
            " OR id IN (SELECT case_id FROM attempts WHERE confirmed_at IS NULL))"
            " AND (NOT %(unleased)s OR lease_holder IS NULL OR lease_until <= %(now)s)"
            " ORDER BY next_due NULLS FIRST, id",  # NULL first, as SQLite sorts it
            {"closed": _CLOSED, "now": _at(now), "unleased": unleased_only},
        ).fetchall()
        return [_case(row) for row in rows]

    def next_due(self) -> datetime | None:
        """The earliest moment an open case wants attention."""
        row = self._db.execute(
            "SELECT MIN(next_due) AS due FROM cases WHERE status <> ALL(%s::text[])", (_CLOSED,)
        ).fetchone()
        return _utc(row["due"]) if row else None

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
        self._db.execute(
            "UPDATE cases SET status = %s, waiting_for = %s, next_due = %s, advice = %s,"
            " updated_at = %s WHERE id = %s",
            (
                CaseStatus(status).value,  # a stray string fails here, not in a later read
                _text(waiting_for),
                _at(next_due) if next_due else None,
                _text(advice),
                _at(now),
                case_id,
            ),
        )

    def reschedule(self, case_id: int, *, next_due: datetime, now: datetime) -> None:
        """Look at the case again at ``next_due``; everything else about it stays."""
        self._db.execute(
            "UPDATE cases SET next_due = %s, updated_at = %s WHERE id = %s",
            (_at(next_due), _at(now), case_id),
        )

    # -- leases -------------------------------------------------------------------------
    def lease_case(self, case_id: int, holder: str, now: datetime, seconds: float) -> Case | None:
        """Take (or renew) the open case for ``holder`` until ``now + seconds``, unless
        another holder's lease is unexpired; the case as now stored, or None.

        The row is locked for the decision; a worker that finds it locked by another's
        decision skips it (``SKIP LOCKED``) instead of waiting to lose.
        """
        with self._db.transaction():
            row = self._db.execute(
                "SELECT * FROM cases WHERE id = %s AND status <> ALL(%s::text[])"
                " FOR UPDATE SKIP LOCKED",
                (case_id, _CLOSED),
            ).fetchone()
            if row is None or _case(row).leased_to_another(holder, _at(now)):
                return None
            row = self._db.execute(
                "UPDATE cases SET lease_holder = %s, lease_until = %s WHERE id = %s RETURNING *",
                (holder, _at(now) + timedelta(seconds=seconds), case_id),
            ).fetchone()
        return _case(row) if row else None

    def release_case(self, case_id: int, holder: str) -> None:
        """Drop the lease if ``holder`` still has it."""
        self._db.execute(
            "UPDATE cases SET lease_holder = NULL, lease_until = NULL"
            " WHERE id = %s AND lease_holder = %s",
            (case_id, holder),
        )

    # -- history ------------------------------------------------------------------------
    def record(self, case_id: int, kind: EventKind, payload: dict[str, Any], now: datetime) -> None:
        """Append an observation, plan, message, refund reading or error to a case."""
        self._db.execute(
            "INSERT INTO events (case_id, at, kind, payload) VALUES (%s, %s, %s, %s)",
            (case_id, _at(now), EventKind(kind).value, json.dumps(payload, default=str)),
        )

    def events(self, case_id: int, kind: EventKind | None = None) -> list[Event]:
        """A case's history in order, optionally of one kind."""
        query = "SELECT id, at, kind, payload FROM events WHERE case_id = %s"
        params: tuple[Any, ...] = (case_id,)
        if kind is not None:
            query += " AND kind = %s"
            params = (case_id, EventKind(kind).value)
        rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [
            Event(r["id"], r["at"].astimezone(UTC), EventKind(r["kind"]), json.loads(r["payload"]))
            for r in rows
        ]

    # -- attempts -----------------------------------------------------------------------
    def begin_attempt(
        self, case_id: int, action_key: str, payload: dict[str, Any], now: datetime
    ) -> int:
        """Write the intention to act *before* acting; committed before the click."""
        row = self._db.execute(
            "INSERT INTO attempts (case_id, action_key, payload, attempted_at)"
            " VALUES (%s, %s, %s, %s) RETURNING id",
            (case_id, action_key, json.dumps(payload, default=str), _at(now)),
        ).fetchone()
        assert row is not None
        return int(row["id"])

    def settle_attempt(self, attempt_id: int, outcome: AttemptOutcome, now: datetime) -> None:
        """Close an attempt: confirmed (seen on the portal) or not applied (proven absent)."""
        self._db.execute(
            "UPDATE attempts SET confirmed_at = %s, outcome = %s WHERE id = %s",
            (_at(now), AttemptOutcome(outcome).value, attempt_id),
        )

    def attempts(self, case_id: int) -> list[Attempt]:
        """Every attempt of a case, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM attempts WHERE case_id = %s ORDER BY id", (case_id,)
        ).fetchall()
        return [
            Attempt(
                r["id"],
                r["case_id"],
                r["action_key"],
                json.loads(r["payload"]),
                r["attempted_at"].astimezone(UTC),
                _utc(r["confirmed_at"]),
                AttemptOutcome(r["outcome"]) if r["outcome"] is not None else None,
            )
            for r in rows
        ]

    def unsettled_attempts(self, case_id: int) -> list[Attempt]:
        """Attempts whose effect was never checked: the process died mid-action."""
        return unsettled(self.attempts(case_id))

    def done_actions(self, case_id: int) -> set[str]:
        """Keys of the actions the portal confirmed: never to be done again."""
        return confirmed_keys(self.attempts(case_id))

    # -- notifications ------------------------------------------------------------------
    def notice_open(self, key: str) -> bool:
        """Whether this event was announced already and has not been resolved since."""
        row = self._db.execute(
            "SELECT 1 AS open FROM notices WHERE key = %s AND resolved_at IS NULL", (key,)
        ).fetchone()
        return row is not None

    def record_notice(
        self, key: str, *, account: str, order_id: str | None, kind: str, now: datetime
    ) -> None:
        """Remember that the event was announced (again, if it had been resolved)."""
        self._db.execute(
            "INSERT INTO notices (key, account, order_id, kind, sent_at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (key) DO UPDATE"
            " SET sent_at = excluded.sent_at, resolved_at = NULL",
            (key, account, order_id, kind, _at(now)),
        )

    def resolve_notices(self, prefix: str, now: datetime) -> None:
        """The events under ``prefix`` are over: if they come back, they are announced again."""
        self._db.execute(
            "UPDATE notices SET resolved_at = %s"
            " WHERE resolved_at IS NULL AND starts_with(key, %s)",
            (_at(now), prefix),
        )

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
        """Put the account in a cool-down: ``first`` long, or twice the last one (up to
        ``longest``) when the check comes back within ``repeat_within`` of its end.

        Read and write in one transaction under the account's advisory lock: two workers
        meeting the check at once do not both start from the same last cool-down.
        """
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (account,))
            minutes = cooldown_minutes(
                self.cooldown(account),
                now,
                first=first,
                longest=longest,
                repeat_within=repeat_within,
            )
            until = now + timedelta(minutes=minutes)
            self._db.execute(
                'INSERT INTO cooldowns (account, started_at, "until", minutes, reason)'
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (account) DO UPDATE SET"
                ' started_at = excluded.started_at, "until" = excluded."until",'
                " minutes = excluded.minutes, reason = excluded.reason",
                (account, _at(now), _at(until), minutes, _text(reason)),
            )
        return Cooldown(account, now, until, minutes, reason)

    def end_cooldown(self, account: str, now: datetime) -> None:
        """End a running cool-down now (a person signed in and passed the check); a check
        that comes back soon still counts as a repeat."""
        self._db.execute(
            'UPDATE cooldowns SET "until" = %s WHERE account = %s AND "until" > %s',
            (_at(now), account, _at(now)),
        )

    def cooldown(self, account: str) -> Cooldown | None:
        """The account's last cool-down (over or not), or None if it never had one."""
        row = self._db.execute("SELECT * FROM cooldowns WHERE account = %s", (account,)).fetchone()
        return _cooldown(row) if row is not None else None

    def cooldowns(self) -> list[Cooldown]:
        """Every account's last cool-down, by account."""
        rows = self._db.execute("SELECT * FROM cooldowns ORDER BY account").fetchall()
        return [_cooldown(row) for row in rows]

    def record_paced_action(self, account: str, at: float) -> None:
        """One portal action of the account at wall-clock ``at`` (seconds), for the hourly
        cap of later runs; actions older than an hour are dropped on the way."""
        with self._db.transaction():
            self._db.execute(
                "DELETE FROM paced_actions WHERE account = %s AND at < %s", (account, at - 3600)
            )
            self._db.execute(
                "INSERT INTO paced_actions (account, at) VALUES (%s, %s)", (account, at)
            )

    def paced_actions(self, account: str, since: float) -> list[float]:
        """The account's portal actions since wall-clock ``since``, oldest first."""
        rows = self._db.execute(
            "SELECT at FROM paced_actions WHERE account = %s AND at >= %s ORDER BY at",
            (account, since),
        ).fetchall()
        return [float(row["at"]) for row in rows]

    # -- shared sign-in sessions --------------------------------------------------------
    def session_envelope(self, account: str) -> bytes | None:
        """The account's sealed sign-in envelope as saved, or None."""
        row = self._db.execute(
            "SELECT envelope FROM sessions WHERE account = %s", (account,)
        ).fetchone()
        return bytes(row["envelope"]) if row is not None else None

    def save_session_envelope(self, account: str, envelope: bytes, now: datetime) -> None:
        """Store (replace) the account's sealed sign-in envelope."""
        self._db.execute(
            "INSERT INTO sessions (account, envelope, updated_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (account) DO UPDATE SET envelope = excluded.envelope,"
            " updated_at = excluded.updated_at",
            (account, envelope, _at(now)),
        )

    def delete_session_envelope(self, account: str) -> bool:
        """Forget the account's envelope; True if there was one."""
        cursor = self._db.execute("DELETE FROM sessions WHERE account = %s", (account,))
        return cursor.rowcount > 0

    def session_accounts(self) -> list[str]:
        """The accounts with a saved envelope, by name."""
        rows = self._db.execute("SELECT account FROM sessions ORDER BY account").fetchall()
        return [str(row["account"]) for row in rows]

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


def _case(row: dict[str, Any]) -> Case:
    return Case(
        id=row["id"],
        account=row["account"],
        order_id=row["order_id"],
        intent=json.loads(row["intent"]),
        status=CaseStatus(row["status"]),
        waiting_for=row["waiting_for"],
        next_due=_utc(row["next_due"]),
        advice=row["advice"],
        created_at=row["created_at"].astimezone(UTC),
        updated_at=row["updated_at"].astimezone(UTC),
        lease_holder=row["lease_holder"],
        lease_until=_utc(row["lease_until"]),
    )


def _cooldown(row: dict[str, Any]) -> Cooldown:
    return Cooldown(
        account=row["account"],
        started_at=row["started_at"].astimezone(UTC),
        until=row["until"].astimezone(UTC),
        minutes=float(row["minutes"]),
        reason=row["reason"],
    )


@contextmanager
def open_pg_journal(url: str) -> Iterator[PgJournal]:
    """Connect to (and migrate) the PostgreSQL journal at ``url``; closed on exit.

    Not reachable, refusing the user, or refusing the migration: ``JournalUnavailableError``.
    """
    connection, where = connect_journal_db(url, row_factory=dict_row)
    journal = PgJournal(connection, where, lambda error, gone: lost(url, error, gone=gone))
    try:
        try:
            journal.migrate()
        except psycopg.Error as exc:
            raise unavailable(url, exc) from None
        yield journal
    finally:
        journal.close()
