"""A run killed mid-cancellation, overlapping scheduled runs, and a run with nothing due."""

from __future__ import annotations

import fcntl
import os
import signal
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.journal.store import open_journal
from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import COMMAND_TIMEOUT, Assistant
from tests.support.orders import SCENARIO_ORDER
from tests.support.portal import buyer_messages, requests_of, set_faults, wait_until

CANCEL_POST = r"^/orders/\d+/cancel$"
NO_BROWSER = "/nonexistent/chromium"  # a run that resolved a browser would fail on this


def journal_with_case(data_dir: Path, now: datetime, next_due: datetime | None) -> None:
    """A journal holding one open case, as a previous `cancel` would leave it."""
    with open_journal(data_dir / "journal.sqlite3") as journal:
        case = journal.open_case("buyer@example.com", SCENARIO_ORDER, {"kind": "cancel"}, now)
        if next_due is not None:
            journal.update_case(case.id, status="waiting_seller", now=now, next_due=next_due)


def attempts(assistant: Assistant) -> list[tuple[str, str | None]]:
    rows = assistant.query("SELECT action_key, outcome FROM attempts ORDER BY id")
    return [(row["action_key"], row["outcome"]) for row in rows]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.scenario("awaiting_shipment")
def test_killed_after_the_portal_applied_the_request(
    portal: PortalHandle, assistant: Assistant
) -> None:
    # The portal applies the request, then never answers: the click "worked" unseen.
    set_faults(
        portal, [{"path": CANCEL_POST, "method": "POST", "when": "after", "delay_ms": 30_000}]
    )
    process = assistant.start("cancel", SCENARIO_ORDER)
    wait_until(
        lambda: len(requests_of(portal, SCENARIO_ORDER)) == 1 or process.poll() is not None,
        timeout=90,
        what="the cancellation request to reach the portal",
    )
    assert process.poll() is None, process.communicate()
    assistant.kill(process)
    assert attempts(assistant) == [("request_cancellation", None)]  # written, never confirmed
    set_faults(portal, [])

    result = assistant("run", "--json")
    assert result.returncode == 0, result
    (report,) = result.json()
    assert report["status"] == "waiting_seller"
    requests = requests_of(portal, SCENARIO_ORDER)
    assert len(requests) == 1, requests  # never a second request
    # and the plan went on: the seller was told
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 1
    recovered = assistant.events(SCENARIO_ORDER, "recovered")
    assert recovered == [
        {"kind": "recovered", "action": "request_cancellation", "outcome": "confirmed"}
    ]

    portal.advance(days=1)
    again = assistant("run", "--json")
    assert again.returncode == 0, again
    assert len(requests_of(portal, SCENARIO_ORDER)) == 1
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 1


def held(portal: PortalHandle) -> bool:
    """Whether the portal holds the labelled request (its fault fired)."""
    return any(f.get("label") == "held" for f in portal.state()["fired"])


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.scenario("awaiting_shipment")
def test_killed_before_the_portal_applied_the_request(
    portal: PortalHandle, assistant: Assistant
) -> None:
    # The request hangs before the portal sees it, and is then refused: nothing applied.
    set_faults(
        portal,
        [
            {
                "path": CANCEL_POST,
                "method": "POST",
                "when": "before",
                "delay_ms": 30_000,
                "status": 503,
                "label": "held",
            }
        ],
    )
    process = assistant.start("cancel", SCENARIO_ORDER)
    # Killed while the portal holds the request. Chromium runs in a process group of its
    # own and may outlive the command by a moment: the request must be in the fault's
    # hands, not still on its way, when the fault is lifted below.
    wait_until(
        lambda: held(portal) or process.poll() is not None,
        timeout=90,
        what="the request to be held by the portal",
    )
    assert process.poll() is None, process.communicate()
    assert attempts(assistant), "the attempt is journalled before the click"
    assistant.kill(process)
    assert requests_of(portal, SCENARIO_ORDER) == []
    set_faults(portal, [])

    result = assistant("run", "--json")
    assert result.returncode == 0, result
    requests = requests_of(portal, SCENARIO_ORDER)
    assert len(requests) == 1 and requests[0]["accepted"], requests
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 1
    assert [e["outcome"] for e in assistant.events(SCENARIO_ORDER, "recovered")] == ["not_applied"]
    assert attempts(assistant) == [
        ("request_cancellation", "not_applied"),
        ("request_cancellation", "confirmed"),
        ("message:cancel_request", "confirmed"),
    ]


def test_second_run_leaves_at_once_while_the_lock_is_held(assistant: Assistant) -> None:
    assistant.data_dir.mkdir(parents=True)
    fd = os.open(assistant.data_dir / "run.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, b"4242")
        result = assistant("run", ORDER_ASSISTANT_BROWSER=NO_BROWSER)
    finally:
        os.close(fd)
    assert result.returncode == 0, result
    assert "pid 4242" in result.stderr and "already working" in result.stderr, result
    assert result.stdout == ""


@pytest.mark.browser
@pytest.mark.scenario("awaiting_shipment")
def test_overlapping_runs_one_works_the_other_leaves(
    portal: PortalHandle, assistant: Assistant
) -> None:
    now = datetime.fromisoformat(portal.state()["now"])
    journal_with_case(assistant.data_dir, now, next_due=None)  # due at once
    lock_file = assistant.data_dir / "run.lock"
    first = assistant.start("run", "--json")
    wait_until(
        lambda: (
            (lock_file.exists() and lock_file.read_text() == str(first.pid))
            or first.poll() is not None
        ),
        timeout=60,
        what="the first run to take the lock",
    )
    os.kill(first.pid, signal.SIGSTOP)  # hold it there while the second run starts
    try:
        second = assistant("run", ORDER_ASSISTANT_BROWSER=NO_BROWSER)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    _, err = first.communicate(timeout=COMMAND_TIMEOUT)
    assert second.returncode == 0, second
    assert f"pid {first.pid}" in second.stderr, second
    assert first.returncode == 0, err
    assert len(requests_of(portal, SCENARIO_ORDER)) == 1
    assert assistant.case_status(SCENARIO_ORDER) == "waiting_seller"


@pytest.mark.scenario("awaiting_shipment")
def test_run_with_nothing_due_starts_no_browser(portal: PortalHandle, assistant: Assistant) -> None:
    empty = assistant("run", ORDER_ASSISTANT_BROWSER=NO_BROWSER)
    assert empty.returncode == 0, empty
    assert "nothing due (next check: no open case)" in empty.stdout

    now = datetime.fromisoformat(portal.state()["now"])
    journal_with_case(assistant.data_dir, now, next_due=now + timedelta(hours=5))
    idle = assistant("run", ORDER_ASSISTANT_BROWSER=NO_BROWSER)
    assert idle.returncode == 0, idle
    assert "nothing due" in idle.stdout
    as_json = assistant("run", "--json", ORDER_ASSISTANT_BROWSER=NO_BROWSER)
    assert as_json.returncode == 0, as_json
    assert as_json.json() == {"due": 0, "next_due": (now + timedelta(hours=5)).isoformat()}

    # The probe works: once the case is due, the same run does resolve the browser.
    portal.advance(hours=6)
    due = assistant("run", ORDER_ASSISTANT_BROWSER=NO_BROWSER)
    assert due.returncode == 2, due
    assert "ORDER_ASSISTANT_BROWSER" in due.stderr
