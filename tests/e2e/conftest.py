"""The e2e fixture: an `assistant` runner per test (helpers in e2e_cli.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_cli import Assistant, set_faults

from mock_site.pytest_plugin import PortalHandle


@pytest.fixture
def assistant(portal: PortalHandle, tmp_path: Path) -> Iterator[Assistant]:
    data_dir = tmp_path / "data"
    helper = Assistant(
        portal,
        data_dir,
        {"ORDER_ASSISTANT_CONFIG": str(tmp_path / "no-config.toml")},
    )
    yield helper
    for process in helper.started:
        if process.poll() is None:
            helper.kill(process)
    set_faults(portal, [])
