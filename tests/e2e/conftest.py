"""The e2e fixture: an ``Assistant`` (tests.support.cli) per test, on the session's portal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import Assistant
from tests.support.portal import set_faults


@pytest.fixture
def assistant(portal: PortalHandle, tmp_path: Path) -> Iterator[Assistant]:
    helper = Assistant(portal.server, tmp_path / "data")
    yield helper
    helper.kill_started()
    set_faults(portal, [])
