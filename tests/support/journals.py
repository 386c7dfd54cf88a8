"""The journal backends a contract test runs on: the SQLite file and PostgreSQL.

A fixture parametrized with ``BACKENDS`` asks ``location_for`` where its journal goes; the
PostgreSQL one is a fresh empty database of the private cluster (``postgres_url``), so the
test is skipped, not failed, where PostgreSQL is not installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

BACKENDS = ["sqlite", "postgres"]


def location_for(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a new journal of ``request.param``'s backend goes."""
    if request.param == "sqlite":
        return tmp_path / "journal.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    return url


def pg_attempts(url: str, order: str) -> list[tuple[str, str | None]]:
    """The order's attempts (action, outcome), oldest first, read from the PostgreSQL
    journal at ``url`` with psycopg, as an operator would."""
    import psycopg

    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT a.action_key, a.outcome FROM attempts a JOIN cases c ON c.id = a.case_id"
            " WHERE c.order_id = %s ORDER BY a.id",
            (order,),
        ).fetchall()
    return [(row[0], row[1]) for row in rows]
