"""Fixtures for the reliability tests: the session's mock portal and a CLI per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_site.server import MockPortal
from tests.support.cli import SHORT_PAGE_TIMEOUT, Assistant
from tests.support.portal import set_faults


@pytest.fixture
def make_cli(mock_portal: MockPortal, tmp_path: Path) -> Iterator[Callable[..., Assistant]]:
    """Reset the portal to a scenario (dict) and give a CLI for all its accounts."""

    def make(data: dict[str, Any]) -> Assistant:
        mock_portal.reset(data)
        return Assistant(
            mock_portal, tmp_path / "data", list(data["accounts"]), dict(SHORT_PAGE_TIMEOUT)
        )

    yield make
    set_faults(mock_portal, [])
