"""Fixtures for the reliability tests: the session's mock portal and a CLI per test."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_site.scenario import SCENARIO_DIR
from mock_site.server import MockPortal
from tests.reliability.clirun import Cli

MAIN = "8211279521850032"


def scenario(name: str, **changes: Any) -> dict[str, Any]:
    """A bundled scenario as a dict, with top-level ``changes``."""
    data: dict[str, Any] = json.loads((SCENARIO_DIR / f"{name}.json").read_text("utf-8"))
    data = copy.deepcopy(data)
    data.update(changes)
    return data


@pytest.fixture
def make_cli(mock_portal: MockPortal, tmp_path: Path) -> Iterator[Callable[..., Cli]]:
    """Reset the portal to a scenario (dict) and give a CLI for its accounts."""

    def make(data: dict[str, Any]) -> Cli:
        mock_portal.reset(data)
        return Cli(mock_portal, tmp_path / "data", list(data["accounts"]))

    yield make
    with mock_portal.portal.lock:
        mock_portal.portal.faults = []
