"""Unattended use: notifications to a real local receiver, `init` in a real pseudo-terminal,
output that reads well in 80 columns, global options after the command."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import Assistant
from tests.support.orders import SCENARIO_ORDER
from tests.support.portal import requests_of
from tests.support.receiver import Receiver, dead_target

pytestmark = pytest.mark.browser


@pytest.fixture
def inbox() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def notify_env(*urls: str, done: bool = False) -> dict[str, str]:
    return {
        "ORDER_ASSISTANT_NOTIFY": json.dumps(list(urls)),
        "ORDER_ASSISTANT_NOTIFY_DONE": "true" if done else "false",
    }


@pytest.mark.scenario("shipped")
def test_a_case_that_needs_you_is_told_once_and_a_dead_target_changes_nothing(
    portal: PortalHandle, assistant: Assistant, inbox: Receiver
) -> None:
    assistant.env.update(notify_env(inbox.url, dead_target()))

    # Global options after the command, as people type them; no portal in the environment.
    day0 = assistant(
        "cancel", SCENARIO_ORDER, "--json", "--portal", portal.url,
        ORDER_ASSISTANT_PORTAL_URL=None,
    )

    assert day0.returncode == 1, day0  # the shipped order needs the user: the same as without
    assert inbox.titles() == [f"order-assistant: order {SCENARIO_ORDER} needs you"]
    body = inbox.messages[0]["message"]
    assert "return" in body.lower() or "dispute" in body.lower(), body
    assert f"order-assistant status {SCENARIO_ORDER}" in body
    assert portal.password not in json.dumps(inbox.messages)
    assert "notification target 2 (json://)" in day0.stderr  # logged, not fatal
    assert requests_of(portal, SCENARIO_ORDER) == []

    # Days later the case still needs the user: nothing is sent again.
    portal.advance(days=2)
    later = assistant("run", "--json")
    assert later.returncode == 1, later
    assert len(inbox.messages) == 1, inbox.titles()

    # The table fits 80 columns with the order number on one line; advice below the row.
    for columns in ("80", "120"):
        table = assistant("status", COLUMNS=columns)
        assert table.returncode == 0, table
        lines = table.stdout.splitlines()
        assert all(len(line) <= int(columns) for line in lines), table.stdout
        assert any(SCENARIO_ORDER in line and "needs_user" in line for line in lines), table
        assert any(line.startswith(SCENARIO_ORDER) and "advice:" in line for line in lines)


@pytest.mark.scenario("awaiting_payment")
def test_finished_cases_are_told_when_asked(
    portal: PortalHandle, assistant: Assistant, inbox: Receiver
) -> None:
    assistant.env.update(notify_env(inbox.url, done=True))

    result = assistant("cancel", SCENARIO_ORDER)
    assert result.returncode == 0, result
    again = assistant("cancel", SCENARIO_ORDER)  # nothing new happened: nothing new is said
    assert again.returncode == 0, again

    assert inbox.titles() == [f"order-assistant: order {SCENARIO_ORDER} is done cancelled"]


@pytest.mark.scenario("awaiting_shipment")
def test_a_refused_sign_in_is_told_once_until_it_works_again(
    portal: PortalHandle, assistant: Assistant, inbox: Receiver
) -> None:
    assistant.env.update(notify_env(inbox.url))
    wrong = {"ORDER_ASSISTANT_PASSWORD": "not-the-password"}

    for _ in range(2):
        refused = assistant("cancel", SCENARIO_ORDER, **wrong)
        assert refused.returncode == 2, refused
    assert inbox.titles() == [
        f"order-assistant: {portal.email} needs you (the portal refused the sign-in)"
    ]
    assert "not-the-password" not in json.dumps(inbox.messages)

    fixed = assistant("cancel", SCENARIO_ORDER)
    assert fixed.returncode == 0, fixed
    assert len(inbox.messages) == 1  # a case going on is not news
    # The problem is over: if it comes back, it is news again.
    assert assistant("cancel", SCENARIO_ORDER, **wrong).returncode in (0, 2)


def test_notify_test_reaches_the_targets_and_says_which_failed(
    assistant: Assistant, inbox: Receiver
) -> None:
    ok = assistant.invoke("notify", "--test", **notify_env(inbox.url))
    assert ok.returncode == 0, ok
    assert inbox.titles() == ["order-assistant: test"]

    failing = assistant.invoke("notify", "--test", **notify_env(inbox.url, dead_target()))
    assert failing.returncode == 3, failing
    assert "target 2 (json://): FAILED" in failing.stdout, failing
    assert "127.0.0.1" not in failing.stdout  # a target's URL may hold a token

    missing = assistant.invoke("notify", "--test")
    assert missing.returncode == 2 and "notify" in missing.stderr, missing


def new_user(config: Path, password: str) -> dict[str, str | None]:
    """What a new user has: no ORDER_ASSISTANT_* settings but where the config goes, and
    the password in the variable ``init`` is told about."""
    return {
        "ORDER_ASSISTANT_CONFIG": str(config),
        "ORDER_ASSISTANT_PORTAL_URL": None,
        "ORDER_ASSISTANT_USERNAME": None,
        "ORDER_ASSISTANT_PASSWORD": None,
        "SHOP_PASSWORD": password,
    }


@pytest.mark.scenario("awaiting_shipment")
def test_init_in_a_terminal_writes_a_config_the_next_run_works_with(
    portal: PortalHandle, assistant: Assistant, inbox: Receiver, tmp_path: Path
) -> None:
    config = tmp_path / "config" / "config.toml"
    env = assistant.environment(**new_user(config, portal.password))
    child = pexpect.spawn(
        sys.executable, ["-m", "assistant", "init"], env=env, encoding="utf-8", timeout=120
    )
    answers = [
        ("Portal URL", portal.url),
        ("Account", portal.email),
        ("password live", "env"),
        ("environment variable", ""),  # the default: SHOP_PASSWORD
        ("Notification target", inbox.url),
        ("Schedule", "cron"),
        ("Minutes between runs", "30"),
        ("Check the portal now", "y"),
    ]
    for prompt, answer in answers:
        child.expect(prompt)
        child.sendline(answer)
    child.expect("every text and control|matches the")
    child.expect(r"\*/30 \* \* \* \*  umask 077; SHOP_PASSWORD=\.\.\. .*--config .*config\.toml")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert (config.stat().st_mode & 0o777) == 0o600
    assert portal.password not in config.read_text()

    # The next command works with that file and the password in the variable only.
    cancelled = assistant("cancel", SCENARIO_ORDER, "--json", **new_user(config, portal.password))
    assert cancelled.returncode == 0, cancelled
    assert len(requests_of(portal, SCENARIO_ORDER)) == 1
    portal.advance(days=3)  # the seller accepts after 48 hours
    scheduled = assistant("run", "--json", **new_user(config, portal.password))
    assert scheduled.returncode == 0, scheduled
    assert portal.order_state(SCENARIO_ORDER)["closed_reason"] == "seller_accepted"

    # The same answers as flags give the same file (but for the date line).
    scripted = tmp_path / "scripted.toml"
    flags = assistant.invoke(
        "--config", str(scripted), "init", "--non-interactive", "--portal-url", portal.url,
        "--username", portal.email, "--password-store", "env", "--notify", inbox.url,
        "--schedule", "cron", "--every", "30", "--no-probe",
        **new_user(config, "x"),  # --config wins over ORDER_ASSISTANT_CONFIG
    )
    assert flags.returncode == 0, flags
    body = [line for line in config.read_text().splitlines() if not line.startswith("# Written")]
    assert [
        line for line in scripted.read_text().splitlines() if not line.startswith("# Written")
    ] == body
