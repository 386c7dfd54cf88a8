"""Small things people notice: global options after the command, option errors that name
the option, and retry log lines that name the step."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from flows.retry import retry_safe
from tests.support.cli import invoke
from tests.support.orders import SCENARIO_ORDER


def test_global_options_are_taken_after_the_command(tmp_path: Path) -> None:
    env = {"ORDER_ASSISTANT_CONFIG": "/nonexistent.toml", "ORDER_ASSISTANT_DATA_DIR": str(tmp_path)}

    after = invoke("cancel", SCENARIO_ORDER, "--dry-run", "--portal", "ftp://x", env=env)
    before = invoke("--portal", "ftp://x", "cancel", SCENARIO_ORDER, "--dry-run", env=env)

    for result in (after, before):
        assert result.returncode == 2, result
        assert "--portal" in result.stderr and "correct the --portal option" in result.stderr
    assert invoke("status", "--log-format=xml", env=env).returncode == 2
    assert "No such option" not in invoke("status", "-v", "--json", env=env).stderr


def test_an_option_after_double_dash_is_not_moved(tmp_path: Path) -> None:
    env = {"ORDER_ASSISTANT_CONFIG": "/nonexistent.toml", "ORDER_ASSISTANT_DATA_DIR": str(tmp_path)}
    result = invoke("cancel", "--dry-run", "--", "--portal", env=env)
    assert result.returncode == 2, result
    assert "'--portal' is not an order number" in result.stderr, result


def test_a_retry_names_the_step(caplog: pytest.LogCaptureFixture) -> None:
    tries: list[int] = []

    def flaky() -> str:
        tries.append(1)
        if len(tries) == 1:
            raise PlaywrightError("net::ERR_CONNECTION_RESET")
        return "page"

    with caplog.at_level(logging.WARNING, logger="flows.retry"):
        assert retry_safe(flaky, what="open /p/order/index.html") == "page"
    assert "retrying open /p/order/index.html (attempt 1 failed: net::ERR_CONNECTION_RESET)" in (
        caplog.text
    )


def test_status_before_any_case_stays_json_and_names_an_unknown_order(tmp_path: Path) -> None:
    env = {"ORDER_ASSISTANT_CONFIG": "/nonexistent.toml", "ORDER_ASSISTANT_DATA_DIR": str(tmp_path)}
    assert invoke("status", "--json", env=env).stdout.strip() == "[]"
    unknown = invoke("status", SCENARIO_ORDER, env=env)
    assert unknown.returncode == 2 and SCENARIO_ORDER in unknown.stderr, unknown
