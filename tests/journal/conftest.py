"""The journal's contract runs on both backends: each test asking for ``location`` or
``journal`` runs once on a SQLite file and once on a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.journal.store import Journal, open_journal
from tests.support.journals import BACKENDS, location_for


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a new journal goes: a SQLite file, or an empty PostgreSQL database."""
    return location_for(request, tmp_path)


@pytest.fixture
def journal(location: str | Path) -> Iterator[Journal]:
    with open_journal(location) as opened:
        yield opened
