"""The journal's schema: built the same whoever opens it first, and only once."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from assistant.journal.store import MIGRATIONS, _statements, open_journal


def schema(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()


def test_the_migrations_build_the_schema_their_scripts_describe(tmp_path: Path) -> None:
    with open_journal(tmp_path / "journal.sqlite3") as journal:
        assert journal.schema_version == len(MIGRATIONS)
    reference = sqlite3.connect(tmp_path / "reference.sqlite3")
    for script in MIGRATIONS:
        reference.executescript(script)
    built = sqlite3.connect(tmp_path / "journal.sqlite3")
    assert schema(built) == schema(reference)
    assert {name for name, _ in schema(built)} >= {"cases", "events", "attempts"}


def test_reopening_a_current_journal_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with open_journal(path):
        pass
    before = schema(sqlite3.connect(path))
    with open_journal(path) as journal:
        assert journal.schema_version == len(MIGRATIONS)
    assert schema(sqlite3.connect(path)) == before


def open_at_once(path: Path, openers: int) -> list[object]:
    """Open a new journal from ``openers`` threads released together: each one's outcome."""
    outcomes: list[object] = []
    barrier = threading.Barrier(openers)

    def open_it() -> None:
        barrier.wait()
        try:
            with open_journal(path) as journal:
                outcomes.append(journal.schema_version)
        except sqlite3.Error as exc:  # "table cases already exists", "database is locked"
            outcomes.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(openers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_many_first_opens_at_once_migrate_once(tmp_path: Path) -> None:
    for trial in range(10):
        outcomes = open_at_once(tmp_path / f"journal-{trial}.sqlite3", 4)
        assert outcomes == [len(MIGRATIONS)] * 4


def test_a_migration_without_its_last_semicolon_is_refused() -> None:
    assert _statements("CREATE TABLE a (x);\nCREATE INDEX i ON a (x);\n") == [
        "CREATE TABLE a (x);",
        "CREATE INDEX i ON a (x);",
    ]
    with pytest.raises(ValueError, match="unterminated"):
        _statements("CREATE TABLE a (x);\nCREATE TABLE b (y)\n")


def test_the_journal_runs_in_wal_with_full_sync(tmp_path: Path) -> None:
    # What the README promises for crash safety: a write-ahead log, and every commit synced.
    with open_journal(tmp_path / "journal.sqlite3") as journal:
        connection = journal._db
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    other = sqlite3.connect(tmp_path / "journal.sqlite3")
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # kept in the file
    other.close()
