"""Helpers for the recording tests: run the real CLI against a portal of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_site.scenario import load_scenario
from mock_site.server import MockPortal

PLANTED_PASSWORD = "Planted-Secret-Pw-7f3c9e21"


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, wide enough that tables do not wrap."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env={**os.environ, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def own_portal() -> Iterator[MockPortal]:
    """A portal only this test uses (so it can be stopped before replaying)."""
    scenario = load_scenario("demo")
    accounts = [a.model_copy(update={"password": PLANTED_PASSWORD}) for a in scenario.accounts[:1]]
    portal = MockPortal(
        scenario.model_copy(
            update={
                "accounts": accounts,
                "orders": [o for o in scenario.orders if o.account == accounts[0].email],
            }
        )
    )
    yield portal
    portal.stop()


@pytest.fixture
def cli_env(own_portal: MockPortal, tmp_path: Path) -> dict[str, str]:
    """Environment for the CLI against ``own_portal``, with the portal's clock."""
    return {
        "ORDER_ASSISTANT_PORTAL_URL": own_portal.url,
        "ORDER_ASSISTANT_USERNAME": "buyer@example.com",
        "ORDER_ASSISTANT_PASSWORD": PLANTED_PASSWORD,
        "ORDER_ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ORDER_ASSISTANT_CONFIG": str(tmp_path / "none.toml"),
        "ORDER_ASSISTANT_NOW": own_portal.state()["now"],
    }
