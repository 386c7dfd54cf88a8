"""Suite-wide fixtures: the browser comes from the same resolution the CLI uses.

pytest-playwright owns the browser/context/page chain; we only override its launch
arguments so ``pytest`` needs no flags, and load the mock portal's fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from flows.browser.launch import launch_options, resolve_browser
from tests.support.servers import (
    MissingServer,
    PostgresServer,
    RedisServer,
    postgres_server,
    redis_server,
)

pytest_plugins = ["mock_site.pytest_plugin"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the browser the assistant itself would use (setting, system, Playwright)."""
    choice = resolve_browser(os.environ.get("ORDER_ASSISTANT_BROWSER"))
    ours = launch_options(
        choice,
        headless=browser_type_launch_args.get("headless", True),
        slow_mo=browser_type_launch_args.get("slow_mo", 0),
    )
    return {**browser_type_launch_args, **ours}


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No default base URL (tests build theirs from the portal they start).

    pytest-playwright's fallback ``base_url`` is an instance-method session fixture that
    pytest 9 reports as PytestRemovedIn10Warning, an error under filterwarnings=error.
    """
    return None


# -- the scale-out's real servers (tests/support/servers.py) ----------------------------------
# A missing server skips the test with what to install (`make test` installs both as root).
@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresServer]:
    """One private PostgreSQL per test process, started on first use."""
    try:
        with postgres_server() as server:
            yield server
    except MissingServer as missing:
        pytest.skip(str(missing))


@pytest.fixture
def postgres_url(postgres_cluster: PostgresServer) -> str:
    """A fresh, empty database of the private cluster (``postgresql://`` URL)."""
    return postgres_cluster.database()


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A private PostgreSQL for one test that stops it (``.stop()``) and starts it again
    (``.start()``: the same port and data), never the session's shared cluster."""
    try:
        with postgres_server() as server:
            yield server
    except MissingServer as missing:
        pytest.skip(str(missing))


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """A private redis-server for one test (``.url``; ``.restart()`` keeps the port)."""
    try:
        with redis_server() as server:
            yield server
    except MissingServer as missing:
        pytest.skip(str(missing))
