"""Fixtures for the recording tests: a portal of the test's own, and the CLI against it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_site.pytest_plugin import skin_of
from mock_site.scenario import load_scenario
from mock_site.server import MockPortal
from tests.support.cli import Assistant
from tests.support.recording import PLANTED_PASSWORD


@pytest.fixture
def own_portal(portal_skin: Any) -> Iterator[MockPortal]:
    """A portal only this test uses (so it can be stopped before replaying), in the skin
    the test asks for (``portal_skin``, default: accessible)."""
    skin, locale = skin_of(portal_skin)
    scenario = load_scenario("demo")
    accounts = [a.model_copy(update={"password": PLANTED_PASSWORD}) for a in scenario.accounts[:1]]
    portal = MockPortal(
        scenario.model_copy(
            update={
                "accounts": accounts,
                "orders": [o for o in scenario.orders if o.account == accounts[0].email],
            }
        ),
        skin=skin,
        locale=locale,
    )
    yield portal
    portal.stop()


@pytest.fixture
def cli(own_portal: MockPortal, tmp_path: Path) -> Assistant:
    """The CLI against ``own_portal`` (its first account, its clock), data in ``tmp_path``."""
    return Assistant(own_portal, tmp_path / "data")


@pytest.fixture
def offline_cli(tmp_path: Path) -> Assistant:
    """The CLI with no portal at all (replays)."""
    return Assistant(None, tmp_path / "data")
