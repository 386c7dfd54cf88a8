"""A PostgreSQL journal that goes away in the middle of ``cancel``: the command stops with a
clear error (exit code 3, no traceback, no password), nothing is done twice, and a ``run``
once the database is back finishes every order."""

from __future__ import annotations

import json

import pytest

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import COMMAND_TIMEOUT, Assistant
from tests.support.journals import pg_attempts
from tests.support.portal import order_state, requests_of, set_faults, wait_until
from tests.support.scenarios import unpaid_id, unpaid_orders
from tests.support.servers import PostgresServer

PASSWORD = "pw-never-shown-5c2d"


def held(portal: PortalHandle) -> bool:
    """Whether the portal holds the labelled answer (its fault fired)."""
    return any(f.get("label") == "held" for f in portal.state()["fired"])


@pytest.mark.browser
@pytest.mark.slow
def test_a_journal_lost_mid_cancel_stops_clearly_and_the_next_run_finishes(
    portal: PortalHandle, assistant: Assistant, own_postgres: PostgresServer
) -> None:
    portal.reset(unpaid_orders(3))
    first, cut_off, untouched = orders = [unpaid_id(n) for n in range(3)]
    # trust authentication: the password is never checked, only kept out of every message
    url = own_postgres.database().replace("postgres@", f"postgres:{PASSWORD}@")
    assistant.env["ORDER_ASSISTANT_JOURNAL_URL"] = url
    assistant.env["ORDER_ASSISTANT_CONCURRENCY"] = "1"  # one order after the other
    # The second order's cancellation is applied by the portal, whose answer is then held
    # (less than the page time-out, with room for PostgreSQL's stop on a loaded machine):
    # the journal goes away between the click and its confirmation.
    assistant.env["ORDER_ASSISTANT_TIMEOUT_MS"] = "30000"
    set_faults(
        portal,
        [
            {
                "path": rf"^/orders/{cut_off}/cancel$",
                "method": "POST",
                "when": "after",
                "delay_ms": 15_000,
                "label": "held",
            }
        ],
    )
    process = assistant.start("cancel", *orders, "--json")
    wait_until(
        lambda: held(portal) or process.poll() is not None,
        timeout=120,
        what="the second cancellation to be held by the portal",
    )
    assert process.poll() is None, process.communicate()
    own_postgres.stop()
    stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)

    assert process.returncode == 3, (stdout, stderr)
    assert "PostgreSQL journal" in stderr and "stopped answering" in stderr, stderr
    assert f"order {cut_off} was under way" in stderr, stderr
    assert "order-assistant run" in stderr, stderr  # what to do next
    assert "Traceback" not in stdout + stderr, stderr
    # The order done before the loss is reported, the one under way named in the error.
    assert [(r["order_id"], r["status"]) for r in json.loads(stdout)] == [
        (first, "done_cancelled")
    ], stdout
    assert PASSWORD not in stdout + stderr
    assert order_state(portal, first)["state"] == "closed"
    assert order_state(portal, cut_off)["state"] == "closed"  # applied before the loss
    assert order_state(portal, untouched)["state"] == "awaiting_payment"  # never begun
    assert [len(requests_of(portal, o)) for o in orders] == [1, 1, 0]

    set_faults(portal, [])
    own_postgres.start()
    assert pg_attempts(url, cut_off) == [("cancel_now", None)]  # journaled, never confirmed
    result = assistant("run", "--json")

    assert result.returncode == 0, result
    assert {r["order_id"]: r["status"] for r in result.json()} == {
        cut_off: "done_cancelled",
        untouched: "done_cancelled",
    }, result
    assert [len(requests_of(portal, o)) for o in orders] == [1, 1, 1]  # each exactly once
    assert all(order_state(portal, o)["state"] == "closed" for o in orders)
    assert pg_attempts(url, cut_off) == [("cancel_now", "confirmed")]  # settled from the portal
