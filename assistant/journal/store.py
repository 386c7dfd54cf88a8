"""The case journal: what the assistant saw, decided and did, for every order it follows.

SQLite (stdlib ``sqlite3``, WAL) so a scheduled run killed at any point leaves a journal
the next run resumes. Actions are written as *attempted* before the click and *confirmed*
after the portal shows their effect; an attempt left unconfirmed means "re-observe before
touching anything", which is what keeps a crash from producing a second cancellation
request or a duplicate message.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tenacity import retry, retry_if_exception, stop_after_delay, wait_fixed

from assistant.domain.kinds import CLOSED_CASE_STATES, CaseStatus
from assistant.journal.interface import Journal
from assistant.journal.kinds import AttemptOutcome, EventKind
from assistant.journal.records import (
    Attempt,
    Case,
    Cooldown,
    Event,
    confirmed_keys,
    cooldown_minutes,
    unsettled,
)

__all__ = [
    "MIGRATIONS",
    "Attempt",
    "Case",
    "Cooldown",
    "Event",
    "Journal",
    "SqliteJournal",
    "is_database_url",
    "journal_exists",
    "open_journal",
]

#: Each entry upgrades the schema by one version; never edit a released entry, append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        order_id TEXT NOT NULL,
        intent TEXT NOT NULL,
        status TEXT NOT NULL,
        waiting_for TEXT,
        next_due TEXT,
        advice TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (account, order_id)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL
    );
    CREATE INDEX events_by_case ON events (case_id, id);
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        action_key TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempted_at TEXT NOT NULL,
        confirmed_at TEXT,
        outcome TEXT
    );
    CREATE INDEX attempts_by_case ON attempts (case_id, action_key);
    """,
    # 2: notifications sent, one row per event (a problem is announced once while open).
    """
    CREATE TABLE notices (
        key TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        order_id TEXT,
        kind TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        resolved_at TEXT
    );
    """,
    # 3: account safety: anti-bot cool-downs, and the paced portal actions of the last hour.
    """
    CREATE TABLE cooldowns (
        account TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        until TEXT NOT NULL,
        minutes REAL NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE TABLE paced_actions (
        account TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX paced_actions_by_account ON paced_actions (account, at);
    """,
    # 4: the distributed mode: a worker's lease on a case, and the sealed sign-in sessions
    # the workers share (only used with the PostgreSQL journal; kept here for one interface).
    """
    ALTER TABLE cases ADD COLUMN lease_holder TEXT;
    ALTER TABLE cases ADD COLUMN lease_until TEXT;
    CREATE TABLE sessions (
        account TEXT PRIMARY KEY,
        envelope BLOB NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
)

#: The closed states (``CaseStatus.closed``), bound as one parameter in the queries.
_CLOSED_JSON = json.dumps(sorted(s.value for s in CLOSED_CASE_STATES))


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("journal times must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class SqliteJournal:
    """Access to one journal file (the embedded default). Use :func:`open_journal`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    # -- schema -------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest version, one transaction per step.

        A current journal is only read (no lock: `status` never waits for a writer). A step
        re-reads the version inside its write transaction: two processes or worker threads
        opening a new journal at once must not both run it.
        """
        while self.schema_version < len(MIGRATIONS):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                current = self.schema_version
                if current < len(MIGRATIONS):
                    for statement in _statements(MIGRATIONS[current]):
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {current + 1}")
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back by itself
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- cases --------------------------------------------------------------------------
    def open_case(self, account: str, order_id: str, intent: dict[str, Any], now: datetime) -> Case:
        """The case for (account, order), created if new. An existing case keeps its intent."""
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO cases (account, order_id, intent, status, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    account,
                    order_id,
                    json.dumps(intent),
                    CaseStatus.NEW.value,
                    _iso(now),
                    _iso(now),
                ),
            )
        case = self.find_case(account, order_id)
        assert case is not None
        return case

    def find_case(self, account: str, order_id: str) -> Case | None:
        """The stored case, or None."""
        row = self._db.execute(
            "SELECT * FROM cases WHERE account = ? AND order_id = ?", (account, order_id)
        ).fetchone()
        return _case(row) if row else None

    def case(self, case_id: int) -> Case | None:
        """The stored case by id, or None."""
        row = self._db.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
        return _case(row) if row else None

    def cases(self, order_id: str | None = None) -> list[Case]:
        """All cases (or those of one order number), oldest first."""
        if order_id is None:
            rows = self._db.execute("SELECT * FROM cases ORDER BY id").fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM cases WHERE order_id = ? ORDER BY id", (order_id,)
            ).fetchall()
        return [_case(row) for row in rows]

    def due_cases(self, now: datetime, *, unleased_only: bool = False) -> list[Case]:
        """Open cases whose next check is due (or that hold an unconfirmed attempt);
        ``unleased_only``: without those a worker holds an unexpired lease on."""
        rows = self._db.execute(
            "SELECT * FROM cases"
            " WHERE status NOT IN (SELECT value FROM json_each(:closed))"
            " AND (next_due IS NULL OR next_due <= :now"
            " OR id IN (SELECT case_id FROM attempts WHERE confirmed_at IS NULL))"
            " AND (NOT :unleased OR lease_holder IS NULL OR lease_until <= :now)"
            " ORDER BY next_due, id",
            {"closed": _CLOSED_JSON, "now": _iso(now), "unleased": unleased_only},
        ).fetchall()
        return [_case(row) for row in rows]

    def next_due(self) -> datetime | None:
        """The earliest moment an open case wants attention."""
        row = self._db.execute(
            "SELECT MIN(next_due) FROM cases WHERE status NOT IN (SELECT value FROM json_each(?))",
            (_CLOSED_JSON,),
        ).fetchone()
        return _when(row[0])

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
        with self._db:
            self._db.execute(
                "UPDATE cases SET status = ?, waiting_for = ?, next_due = ?, advice = ?,"
                " updated_at = ? WHERE id = ?",
                (
                    CaseStatus(status).value,  # a stray string fails here, not in a later read
                    waiting_for,
                    _iso(next_due) if next_due else None,
                    advice,
                    _iso(now),
                    case_id,
                ),
            )

    def reschedule(self, case_id: int, *, next_due: datetime, now: datetime) -> None:
        """Look at the case again at ``next_due``; everything else about it stays."""
        with self._db:
            self._db.execute(
                "UPDATE cases SET next_due = ?, updated_at = ? WHERE id = ?",
                (_iso(next_due), _iso(now), case_id),
            )

    # -- leases (distributed mode) ------------------------------------------------------
    def lease_case(self, case_id: int, holder: str, now: datetime, seconds: float) -> Case | None:
        """Take (or renew) the open case for ``holder`` until ``now + seconds``, unless
        another holder's lease is unexpired; the case as now stored, or None.

        One UPDATE decides, so two connections racing for the case cannot both win.
        """
        until = now + timedelta(seconds=seconds)
        with self._db:
            cursor = self._db.execute(
                "UPDATE cases SET lease_holder = :holder, lease_until = :until"
                " WHERE id = :id AND status NOT IN (SELECT value FROM json_each(:closed))"
                " AND (lease_holder IS NULL OR lease_holder = :holder OR lease_until <= :now)",
                {
                    "holder": holder,
                    "until": _iso(until),
                    "id": case_id,
                    "closed": _CLOSED_JSON,
                    "now": _iso(now),
                },
            )
        return self.case(case_id) if cursor.rowcount == 1 else None

    def release_case(self, case_id: int, holder: str) -> None:
        """Drop the lease if ``holder`` still has it."""
        with self._db:
            self._db.execute(
                "UPDATE cases SET lease_holder = NULL, lease_until = NULL"
                " WHERE id = ? AND lease_holder = ?",
                (case_id, holder),
            )

    # -- history ------------------------------------------------------------------------
    def record(self, case_id: int, kind: EventKind, payload: dict[str, Any], now: datetime) -> None:
        """Append an observation, plan, message, refund reading or error to a case."""
        with self._db:
            self._db.execute(
                "INSERT INTO events (case_id, at, kind, payload) VALUES (?, ?, ?, ?)",
                (case_id, _iso(now), EventKind(kind).value, json.dumps(payload, default=str)),
            )

    def events(self, case_id: int, kind: EventKind | None = None) -> list[Event]:
        """A case's history in order, optionally of one kind."""
        query = "SELECT id, at, kind, payload FROM events WHERE case_id = ?"
        params: tuple[Any, ...] = (case_id,)
        if kind is not None:
            query += " AND kind = ?"
            params = (case_id, EventKind(kind).value)
        rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [
            Event(r[0], datetime.fromisoformat(r[1]), EventKind(r[2]), json.loads(r[3]))
            for r in rows
        ]

    # -- attempts -----------------------------------------------------------------------
    def begin_attempt(
        self, case_id: int, action_key: str, payload: dict[str, Any], now: datetime
    ) -> int:
        """Write the intention to act *before* acting; committed before the click."""
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO attempts (case_id, action_key, payload, attempted_at)"
                " VALUES (?, ?, ?, ?)",
                (case_id, action_key, json.dumps(payload, default=str), _iso(now)),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def settle_attempt(self, attempt_id: int, outcome: AttemptOutcome, now: datetime) -> None:
        """Close an attempt: confirmed (seen on the portal) or not applied (proven absent)."""
        with self._db:
            self._db.execute(
                "UPDATE attempts SET confirmed_at = ?, outcome = ? WHERE id = ?",
                (_iso(now), AttemptOutcome(outcome).value, attempt_id),
            )

    def attempts(self, case_id: int) -> list[Attempt]:
        """Every attempt of a case, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM attempts WHERE case_id = ? ORDER BY id", (case_id,)
        ).fetchall()
        return [
            Attempt(
                r["id"],
                r["case_id"],
                r["action_key"],
                json.loads(r["payload"]),
                datetime.fromisoformat(r["attempted_at"]),
                _when(r["confirmed_at"]),
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
            "SELECT 1 FROM notices WHERE key = ? AND resolved_at IS NULL", (key,)
        ).fetchone()
        return row is not None

    def record_notice(
        self, key: str, *, account: str, order_id: str | None, kind: str, now: datetime
    ) -> None:
        """Remember that the event was announced (again, if it had been resolved)."""
        with self._db:
            self._db.execute(
                "INSERT INTO notices (key, account, order_id, kind, sent_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET sent_at = excluded.sent_at, resolved_at = NULL",
                (key, account, order_id, kind, _iso(now)),
            )

    def resolve_notices(self, prefix: str, now: datetime) -> None:
        """The events under ``prefix`` are over: if they come back, they are announced again."""
        with self._db:
            self._db.execute(
                "UPDATE notices SET resolved_at = ?"
                " WHERE resolved_at IS NULL AND substr(key, 1, ?) = ?",
                (_iso(now), len(prefix), prefix),
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
        ``longest``) when the check comes back within ``repeat_within`` of its end."""
        minutes = cooldown_minutes(
            self.cooldown(account), now, first=first, longest=longest, repeat_within=repeat_within
        )
        until = now + timedelta(minutes=minutes)
        with self._db:
            self._db.execute(
                "INSERT INTO cooldowns (account, started_at, until, minutes, reason)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET"
                " started_at = excluded.started_at, until = excluded.until,"
                " minutes = excluded.minutes, reason = excluded.reason",
                (account, _iso(now), _iso(until), minutes, reason),
            )
        return Cooldown(account, now, until, minutes, reason)

    def end_cooldown(self, account: str, now: datetime) -> None:
        """End a running cool-down now (a person signed in and passed the check); a check
        that comes back soon still counts as a repeat."""
        with self._db:
            self._db.execute(
                "UPDATE cooldowns SET until = ? WHERE account = ? AND until > ?",
                (_iso(now), account, _iso(now)),
            )

    def cooldown(self, account: str) -> Cooldown | None:
        """The account's last cool-down (over or not), or None if it never had one."""
        row = self._db.execute("SELECT * FROM cooldowns WHERE account = ?", (account,)).fetchone()
        return _cooldown(row) if row is not None else None

    def cooldowns(self) -> list[Cooldown]:
        """Every account's last cool-down, by account."""
        rows = self._db.execute("SELECT * FROM cooldowns ORDER BY account").fetchall()
        return [_cooldown(row) for row in rows]

    def record_paced_action(self, account: str, at: float) -> None:
        """One portal action of the account at wall-clock ``at`` (seconds), for the hourly
        cap of later runs; actions older than an hour are dropped on the way."""
        with self._db:
            self._db.execute(
                "DELETE FROM paced_actions WHERE account = ? AND at < ?", (account, at - 3600)
            )
            self._db.execute("INSERT INTO paced_actions (account, at) VALUES (?, ?)", (account, at))

    def paced_actions(self, account: str, since: float) -> list[float]:
        """The account's portal actions since wall-clock ``since``, oldest first."""
        rows = self._db.execute(
            "SELECT at FROM paced_actions WHERE account = ? AND at >= ? ORDER BY at",
            (account, since),
        ).fetchall()
        return [float(row[0]) for row in rows]

    # -- shared sign-in sessions -------------------------------------------------------
    def session_envelope(self, account: str) -> bytes | None:
        """The account's sealed sign-in envelope as saved, or None."""
        row = self._db.execute(
            "SELECT envelope FROM sessions WHERE account = ?", (account,)
        ).fetchone()
        return bytes(row[0]) if row is not None else None

    def save_session_envelope(self, account: str, envelope: bytes, now: datetime) -> None:
        """Store (replace) the account's sealed sign-in envelope."""
        with self._db:
            self._db.execute(
                "INSERT INTO sessions (account, envelope, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (account) DO UPDATE SET envelope = excluded.envelope,"
                " updated_at = excluded.updated_at",
                (account, envelope, _iso(now)),
            )

    def delete_session_envelope(self, account: str) -> bool:
        """Forget the account's envelope; True if there was one."""
        with self._db:
            cursor = self._db.execute("DELETE FROM sessions WHERE account = ?", (account,))
        return cursor.rowcount > 0

    def session_accounts(self) -> list[str]:
        """The accounts with a saved envelope, by name."""
        rows = self._db.execute("SELECT account FROM sessions ORDER BY account").fetchall()
        return [str(row[0]) for row in rows]

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


def _statements(script: str) -> list[str]:
    """A migration's statements, one by one (``executescript`` would commit on its own)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise ValueError(f"unterminated statement in a migration: {current.strip()[:60]!r}")
    return [s for s in statements if s.rstrip(";").strip()]


def _cooldown(row: sqlite3.Row) -> Cooldown:
    return Cooldown(
        account=row["account"],
        started_at=datetime.fromisoformat(row["started_at"]),
        until=datetime.fromisoformat(row["until"]),
        minutes=float(row["minutes"]),
        reason=row["reason"],
    )


def _case(row: sqlite3.Row) -> Case:
    return Case(
        id=row["id"],
        account=row["account"],
        order_id=row["order_id"],
        intent=json.loads(row["intent"]),
        status=CaseStatus(row["status"]),
        waiting_for=row["waiting_for"],
        next_due=_when(row["next_due"]),
        advice=row["advice"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        lease_holder=row["lease_holder"],
        lease_until=_when(row["lease_until"]),
    )


@retry(
    retry=retry_if_exception(lambda e: "locked" in str(e)),
    stop=stop_after_delay(10),
    wait=wait_fixed(0.05),
    reraise=True,
)
def _use_wal(connection: sqlite3.Connection) -> None:
    """Switch a new journal to WAL. SQLite does not wait on a lock for this (the busy
    timeout does not apply), so a second opener of a brand-new file retries briefly."""
    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        connection.execute("PRAGMA journal_mode = WAL")


def is_database_url(location: str | Path) -> bool:
    """Whether a journal location names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def journal_exists(location: str | Path) -> bool:
    """Whether there is a journal to read: a SQLite file is made by the first command that
    writes; a database is taken to exist (opening it says if it cannot be reached)."""
    return is_database_url(location) or Path(location).exists()


@contextmanager
def open_journal(location: str | Path) -> Iterator[Journal]:
    """Open (creating, migrating) the journal at ``location``; closed on exit.

    A path (``Path`` or plain string) is the SQLite file of the embedded default; a
    ``postgresql://`` (or ``postgres://``) URL the PostgreSQL journal many workers share
    (``settings.journal_location`` gives the one configured). A database that cannot be
    reached raises ``JournalUnavailableError`` (exit code 3), which never shows a password.
    """
    if is_database_url(location):
        from assistant.journal.postgres import open_pg_journal  # psycopg: an optional extra

        with open_pg_journal(str(location)) as journal:
            yield journal
        return
    with _open_sqlite(Path(location)) as sqlite_journal:
        yield sqlite_journal


@contextmanager
def _open_sqlite(path: Path) -> Iterator[SqliteJournal]:
    """Open (creating 0600, migrating) the journal file; closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        # Create the file ourselves so it is 0600 from the first byte.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    connection.row_factory = sqlite3.Row
    _use_wal(connection)
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    journal = SqliteJournal(connection, path)
    try:
        journal.migrate()
        yield journal
    finally:
        journal.close()
