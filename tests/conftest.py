"""Suite-wide fixtures: the browser comes from the same resolution the CLI uses.

pytest-playwright owns the browser/context/page chain; we only override its launch
arguments so ``pytest`` needs no flags, and load the mock portal's fixtures.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from flows.browser.launch import launch_options, resolve_browser

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
