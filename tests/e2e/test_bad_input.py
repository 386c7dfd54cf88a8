"""Bad input and a hostile environment: each a clear message and the documented exit code.

Input checks run in-process (``assistant.invoke``); what needs a browser or the portal
runs the CLI as a process."""

from __future__ import annotations

import hashlib
import os
import socket
from datetime import datetime
from pathlib import Path

import pytest

from assistant.app.settings import load_settings
from assistant.journal.store import open_journal
from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import Assistant
from tests.support.orders import DEMO_AWAITING_SHIPMENT, DEMO_PAID, SCENARIO_ORDER, UNKNOWN_ORDER
from tests.support.portal import requests_of


@pytest.mark.browser
@pytest.mark.scenario("awaiting_shipment")
def test_unknown_order_number(portal: PortalHandle, assistant: Assistant) -> None:
    result = assistant("cancel", UNKNOWN_ORDER, "--json")
    assert result.returncode == 2, result
    (report,) = result.json()
    assert report["status"] == "not_found"
    assert UNKNOWN_ORDER in report["error"], report
    assert requests_of(portal, SCENARIO_ORDER) == []
    # A wrong number is not retried by every scheduled run: the case is closed.
    later = assistant("run", "--json")
    assert later.returncode == 0, later
    assert "nothing due" in later.stdout or '"due": 0' in later.stdout


def test_malformed_orders_files(tmp_path: Path, assistant: Assistant) -> None:
    broken = tmp_path / "orders.json"
    broken.write_text(f'[\n  "{SCENARIO_ORDER}",\n  "{DEMO_PAID}"\n', encoding="utf-8")
    result = assistant.invoke("cancel", "--from-file", str(broken))
    assert result.returncode == 2, result
    assert str(broken) in result.stderr and "line" in result.stderr, result

    csv_file = tmp_path / "orders.csv"
    csv_file.write_text(f"order_id\n{SCENARIO_ORDER}\nnot-an-order\n", encoding="utf-8")
    result = assistant.invoke("cancel", "--from-file", str(csv_file))
    assert result.returncode == 2, result
    assert str(csv_file) in result.stderr and "line 3" in result.stderr, result
    assert "not-an-order" in result.stderr

    missing = assistant.invoke("cancel", "--from-file", str(tmp_path / "nowhere.csv"))
    assert missing.returncode == 2, missing
    assert "nowhere.csv" in missing.stderr
    assert not assistant.journal_path.exists()  # nothing was started for a bad batch


def test_order_ids_that_are_not_numbers(portal: PortalHandle, assistant: Assistant) -> None:
    now = datetime.fromisoformat(portal.state()["now"])
    with open_journal(assistant.journal_path) as journal:
        journal.open_case("buyer@example.com", SCENARIO_ORDER, {"kind": "cancel"}, now)
    before = hashlib.sha256(assistant.journal_path.read_bytes()).hexdigest()
    commands = [
        ("cancel", f"{SCENARIO_ORDER}; DROP TABLE cases"),
        ("cancel", SCENARIO_ORDER, "' OR 1=1 --"),  # one bad number stops the whole batch
        ("plan", "../../etc/passwd"),
        ("status", f"{SCENARIO_ORDER}\n{DEMO_PAID}"),
    ]
    for command in commands:
        result = assistant.invoke(*command, ORDER_ASSISTANT_BROWSER="/nonexistent/chromium")
        assert result.returncode == 2, result
        assert "is not an order number" in result.stderr, result
    assert hashlib.sha256(assistant.journal_path.read_bytes()).hexdigest() == before
    assert portal.state()["requests"] == {}  # the portal was never contacted


@pytest.mark.browser
def test_wrong_password_is_tried_once_per_run(portal: PortalHandle, assistant: Assistant) -> None:
    wrong = "Wrong-Secret-Passw0rd"
    orders = DEMO_AWAITING_SHIPMENT[:3]
    result = assistant("cancel", *orders, "--json", ORDER_ASSISTANT_PASSWORD=wrong)
    assert result.returncode == 2, result
    reports = result.json()
    assert [r["status"] for r in reports] == ["failed"] * 3
    assert "Your account name or password is incorrect." in reports[0]["error"]
    state = portal.state()
    assert state["requests"].get("login_password") == 1, state["requests"]
    assert state["sign_ins"] == {}

    # The scheduled run later: again a single try for the three cases, still not locked.
    portal.advance(hours=2)
    later = assistant("run", ORDER_ASSISTANT_PASSWORD=wrong)
    assert later.returncode == 2, later
    assert "password is incorrect" in later.stdout
    assert portal.state()["requests"].get("login_password") == 2
    assert "locked" not in later.stdout.lower()
    for text in (result.stdout, result.stderr, later.stdout, later.stderr):
        assert wrong not in text
    assert all(requests_of(portal, order) == [] for order in orders)


@pytest.mark.browser
def test_unreachable_portal(assistant: Assistant) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = assistant(
        "cancel", SCENARIO_ORDER, ORDER_ASSISTANT_PORTAL_URL=f"http://127.0.0.1:{port}"
    )
    assert result.returncode == 3, result
    assert f"127.0.0.1:{port}" in result.stdout + result.stderr, result


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("max_minutes = -5\n", "max_minutes"),
        ("concurrency = 0\n", "concurrency"),
        ('portal_url = "ftp://portal.example"\n', "portal_url"),
        ("unknown_option = 1\n", "unknown_option"),
        ("portal_url = \n", "config"),
    ],
)
def test_bad_config_value_names_the_key(
    tmp_path: Path, assistant: Assistant, toml: str, key: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(toml, encoding="utf-8")
    for how in (
        {"ORDER_ASSISTANT_CONFIG": str(config)},
        {"ORDER_ASSISTANT_CONFIG": None},  # given with --config below
    ):
        args = ("status",) if how["ORDER_ASSISTANT_CONFIG"] else ("--config", str(config), "status")
        # No ORDER_ASSISTANT_PORTAL_URL: the environment would override the file's value.
        result = assistant.invoke(*args, **how, ORDER_ASSISTANT_PORTAL_URL=None)
        assert result.returncode == 2, result
        assert key in result.stderr, result
        assert "Traceback" not in result.stderr
        if key != "config":  # a value that parsed: the error names the file it came from
            assert f"in the config file {config}" in result.stderr, result


def test_bad_option_value_names_the_option(assistant: Assistant) -> None:
    result = assistant.invoke("--concurrency", "0", "status")
    assert result.returncode == 2, result
    assert "--concurrency" in result.stderr and "correct the --concurrency option" in result.stderr
    assert "config file" not in result.stderr, result  # the file is not where it came from


def test_config_option_leaves_the_environment_alone(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("max_minutes = 7\n", encoding="utf-8")
    before = os.environ.get("ORDER_ASSISTANT_CONFIG")
    assert load_settings(config).max_minutes == 7
    assert os.environ.get("ORDER_ASSISTANT_CONFIG") == before


def test_bad_environment_value_names_the_variable(assistant: Assistant) -> None:
    result = assistant.invoke("status", ORDER_ASSISTANT_MAX_MINUTES="soon")
    assert result.returncode == 2, result
    assert "max_minutes" in result.stderr and "ORDER_ASSISTANT_MAX_MINUTES" in result.stderr
