"""An existing SQLite journal (schema version 3, before leases) opens as version 4 with
every case kept and free: the embedded default's users lose nothing by upgrading."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from assistant.journal.store import MIGRATIONS, open_journal

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_a_version_3_journal_gets_leases_and_keeps_its_cases(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:3]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 3")
    db.execute(
        "INSERT INTO cases (account, order_id, intent, status, created_at, updated_at)"
        " VALUES ('alex', '8211279521850001', '{}', 'waiting_seller', ?, ?)",
        (NOW.isoformat(), NOW.isoformat()),
    )
    db.commit()
    db.close()

    with open_journal(path) as journal:
        assert journal.schema_version == len(MIGRATIONS) == 4
        (case,) = journal.cases()
        assert case.order_id == "8211279521850001" and case.lease_holder is None
        assert journal.lease_case(case.id, "worker-a", NOW, 60) is not None
