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
