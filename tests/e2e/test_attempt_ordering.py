"""The two ordering guarantees, caught in the act (issue 15): when the portal receives the
submit of a cancellation, or the send of a message, the attempt is already in the journal.

The portal holds that one request unanswered (a `hang` fault); while it is held, the
journal is read the way an operator would (sqlite3). Journaling the attempt after the
click instead (the mutation of docs/reliability.md) leaves no attempt at that moment, and
these tests fail: a run killed right then would not know it may have submitted.
"""

from __future__ import annotations

from typing import Any

import pytest

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import Assistant
from tests.support.orders import SCENARIO_ORDER
from tests.support.portal import set_faults, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.scenario("awaiting_shipment"),
    pytest.mark.parametrize("portal_skin", ["accessible", "real"]),
]

#: The request that submits, per skin: a form post, or the real skin's JSON call.
SUBMIT = {"accessible": {"path": r"/cancel$"}, "real": {"api": "operation"}}
SEND = {"accessible": {"path": r"^/p/message/send$"}, "real": {"api": "send"}}


def attempts(assistant: Assistant) -> list[tuple[str, Any]]:
    rows = assistant.query("SELECT action_key, outcome FROM attempts ORDER BY id")
    return [(row["action_key"], row["outcome"]) for row in rows]


def journal_when_fired(
    portal: PortalHandle, assistant: Assistant, label: str, monkeypatch: pytest.MonkeyPatch
) -> list[list[tuple[str, Any]]]:
    """The journal's attempts at the instant the labelled request reaches the portal (read
    in the server, before it is answered): not a moment later, so no race can hide an
    attempt written just after the click."""
    seen: list[list[tuple[str, Any]]] = []
    state = portal.server.portal
    fired = state.fault_fired

    def snapshot(fault: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        if fault.get("label") == label and not seen:
            seen.append(attempts(assistant))
        fired(fault, *args, **kwargs)

    monkeypatch.setattr(state, "fault_fired", snapshot)
    return seen


def test_the_cancellation_is_journaled_before_the_portal_gets_its_submit(
    portal: PortalHandle, assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = journal_when_fired(portal, assistant, "submit", monkeypatch)
    aim = SUBMIT[portal.skin]
    set_faults(portal, [{**aim, "method": "POST", "hang": True, "label": "submit"}])
    command = assistant.start("cancel", SCENARIO_ORDER)

    wait_until(lambda: bool(seen), timeout=90, what="the submit at the portal")
    assistant.kill(command)

    assert seen[0] == [("request_cancellation", None)], seen  # tried, not confirmed


def test_the_message_is_journaled_before_the_portal_gets_its_send(
    portal: PortalHandle, assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = journal_when_fired(portal, assistant, "send", monkeypatch)
    aim = SEND[portal.skin]
    set_faults(portal, [{**aim, "method": "POST", "hang": True, "label": "send"}])
    command = assistant.start("cancel", SCENARIO_ORDER)

    wait_until(lambda: bool(seen), timeout=90, what="the message at the portal")
    assistant.kill(command)

    journaled = seen[0]
    assert journaled[0] == ("request_cancellation", "confirmed"), journaled
    (message,) = journaled[1:]
    assert message[0].startswith("message:") and message[1] is None, journaled
