"""A cancellation followed for days: `cancel` on day 0, then `run` as cron would, the
portal's clock moved between runs. Asserted on what a user would notice: the order on the
portal, what the seller received, the JSON report, the exit code and `status`.

Every path runs on the three portals (accessible mock, real markup in English and in
Spanish) with only the portal URL and the credentials: no profile, no config file."""

from __future__ import annotations

import pytest

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import Assistant
from tests.support.orders import SCENARIO_ORDER, UNKNOWN_ORDER
from tests.support.portal import ALL_SKINS, buyer_messages, requests_of
from tests.support.scenarios import scenario

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("portal_skin", ALL_SKINS)]

WRONG_PRODUCT = "I ordered the wrong product(s)"


def only(reports: list[dict[str, object]]) -> dict[str, object]:
    assert len(reports) == 1, reports
    return reports[0]


@pytest.mark.scenario("awaiting_shipment")
def test_request_accepted_then_refunded(portal: PortalHandle, assistant: Assistant) -> None:
    # Day 0: the request goes in with the non-penalising reason, "No" to the report.
    day0 = assistant("cancel", SCENARIO_ORDER, "--json")
    assert day0.returncode == 0, day0
    report = only(day0.json())
    assert report["status"] == "waiting_seller"
    assert portal.order_state(SCENARIO_ORDER)["state"] == "cancellation_requested"

    # Day 3: the seller accepted (48 h after the request); the refund has started.
    portal.advance(days=3)
    day3 = assistant("run", "--json")
    assert day3.returncode == 0, day3
    assert only(day3.json())["status"] in ("waiting_refund", "done_refunded")
    assert portal.order_state(SCENARIO_ORDER)["closed_reason"] == "seller_accepted"

    # Day 10: every refund step is done; the case is finished.
    portal.advance(days=7)
    day10 = assistant("run", "--json")
    assert day10.returncode == 0, day10
    assert only(day10.json())["status"] == "done_refunded"
    assert assistant.case_status(SCENARIO_ORDER) == "done_refunded"
    refunds = assistant.events(SCENARIO_ORDER, "refund")
    assert refunds and all(step["done"] for step in refunds[-1]["steps"])

    requests = requests_of(portal, SCENARIO_ORDER)
    assert len(requests) == 1, requests
    assert requests[0]["accepted"] and requests[0]["reason"] == WRONG_PRODUCT
    assert requests[0]["report"] == "no"
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 1

    # Nothing is left to do: the next run does not even start a browser.
    idle = assistant("run", ORDER_ASSISTANT_BROWSER="/nonexistent/chromium")
    assert idle.returncode == 0, idle
    assert "nothing due" in idle.stdout

    # `status` and `status ORDER`, for people and for machines.
    table = assistant("status")
    assert table.returncode == 0, table
    assert SCENARIO_ORDER in table.stdout and "done_refunded" in table.stdout
    cases = assistant("status", "--json").json()
    assert [(c["order_id"], c["status"]) for c in cases] == [(SCENARIO_ORDER, "done_refunded")]
    history = assistant("status", SCENARIO_ORDER)
    assert history.returncode == 0, history
    for kind in ("observation", "plan", "message", "refund"):
        assert kind in history.stdout, kind
    (case,) = assistant("status", SCENARIO_ORDER, "--json").json()
    kinds = {event["kind"] for event in case["history"]}
    assert {"observation", "plan", "message", "refund", "seller_message"} <= kinds
    unknown = assistant("status", UNKNOWN_ORDER)
    assert unknown.returncode == 2, unknown
    assert UNKNOWN_ORDER in unknown.stderr


def test_request_rejected_gets_one_follow_up(portal: PortalHandle, assistant: Assistant) -> None:
    replies = [
        {"after_hours": 6, "text": "We received your message."},
        {"after_hours": 12, "text": "Sorry, the parcel is already packed."},
    ]
    portal.reset(
        scenario(
            "awaiting_shipment",
            first_order={
                "seller": {
                    "on_cancel": "reject",
                    "answer_after_hours": 24,
                    "ship_after_hours": 240,
                    "replies": replies,
                }
            },
        )
    )
    assert assistant("cancel", SCENARIO_ORDER).returncode == 0
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 1

    # Day 2: rejected. One follow-up asks the seller not to ship.
    portal.advance(days=2)
    rejected = assistant("run", "--json")
    assert rejected.returncode == 0, rejected
    assert portal.order_state(SCENARIO_ORDER)["state"] == "cancellation_rejected"
    report = only(rejected.json())
    assert report["status"] == "waiting_seller"
    assert any("after_rejection" in line for line in report["done"]), report
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 2
    templates = [e["template"] for e in assistant.events(SCENARIO_ORDER, "message")]
    assert templates.count("message:after_rejection") == 1, templates

    # Day 3: the seller answered; a person should read it (advice, exit 1), no third message.
    portal.advance(days=1)
    answered = assistant("run", "--json")
    assert answered.returncode == 1, answered
    report = only(answered.json())
    assert report["status"] == "needs_user" and report["advice"], report
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 2  # the follow-up is never repeated
    # and a rejected request is not re-submitted
    assert len(requests_of(portal, SCENARIO_ORDER)) == 1


def test_silent_seller_closes_after_15_days(portal: PortalHandle, assistant: Assistant) -> None:
    portal.reset(scenario("awaiting_shipment", first_order={"seller": {"on_cancel": "ignore"}}))
    assert assistant("cancel", SCENARIO_ORDER).returncode == 0

    portal.advance(days=16)
    later = assistant("run", "--json")
    assert later.returncode == 0, later
    assert portal.order_state(SCENARIO_ORDER)["closed_reason"] == "seller_timeout"
    assert only(later.json())["status"] in ("waiting_refund", "done_refunded")
    assert len(requests_of(portal, SCENARIO_ORDER)) == 1
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 1


@pytest.mark.scenario("awaiting_payment")
def test_unpaid_order_is_cancelled_at_once(portal: PortalHandle, assistant: Assistant) -> None:
    result = assistant("cancel", SCENARIO_ORDER, "--json")
    assert result.returncode == 0, result
    assert only(result.json())["status"] == "done_cancelled"
    assert portal.order_state(SCENARIO_ORDER)["closed_reason"] == "buyer_cancelled"
    assert len(requests_of(portal, SCENARIO_ORDER)) == 1
    assert buyer_messages(portal, SCENARIO_ORDER) == []  # no seller decision, nothing to say


@pytest.mark.scenario("awaiting_shipment_24h")
def test_cancel_button_delay_waits_then_requests(
    portal: PortalHandle, assistant: Assistant
) -> None:
    early = assistant("cancel", SCENARIO_ORDER, "--json")
    assert early.returncode == 0, early
    assert only(early.json())["status"] == "waiting_cancel_button"
    assert requests_of(portal, SCENARIO_ORDER) == []  # nothing was clicked that the portal refused
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 1  # "please do not ship" meanwhile

    portal.advance(hours=23)  # the button appears 24 h after payment (2 h before day 0)
    later = assistant("run", "--json")
    assert later.returncode == 0, later
    assert only(later.json())["status"] == "waiting_seller"
    requests = requests_of(portal, SCENARIO_ORDER)
    assert len(requests) == 1 and requests[0]["accepted"], requests
    messages = buyer_messages(portal, SCENARIO_ORDER)
    assert len(messages) == len(set(messages)), messages


@pytest.mark.scenario("shipped")
def test_shipped_order_gets_advice_and_no_click(portal: PortalHandle, assistant: Assistant) -> None:
    result = assistant("cancel", SCENARIO_ORDER, "--json")
    assert result.returncode == 1, result
    report = only(result.json())
    assert report["status"] == "needs_user" and report["advice"], report
    order = portal.order_state(SCENARIO_ORDER)
    assert order["cancellation_requests"] == [] and order["actions"] == []
    assert order["state"] == "shipped"
    human = assistant("status")
    assert "needs_user" in human.stdout


def test_shipment_canceled_then_dispute_advice(portal: PortalHandle, assistant: Assistant) -> None:
    portal.reset(scenario("shipment_canceled", first_order={"seller": {"replies": []}}))
    first = assistant("cancel", SCENARIO_ORDER, "--json")
    assert first.returncode in (0, 1), first
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 1
    assert requests_of(portal, SCENARIO_ORDER) == []

    portal.advance(days=8)
    later = assistant("run", "--json")
    assert later.returncode == 1, later
    report = only(later.json())
    assert report["status"] == "needs_user"
    assert "dispute" in " ".join(report["advice"]).lower(), report
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 1
    # advice only: no dispute opened for you
    assert portal.order_state(SCENARIO_ORDER)["actions"] == []


def test_overdue_refund_is_flagged(portal: PortalHandle, assistant: Assistant) -> None:
    # Cancelled 4 days ago; the refund's second and third steps would take 60 and 90 days.
    portal.reset(scenario("closed_refunding", first_order={"refund_days": [0, 60, 90]}))
    first = assistant("cancel", SCENARIO_ORDER, "--json")
    assert first.returncode == 0, first
    assert only(first.json())["status"] == "waiting_refund"

    portal.advance(days=25)  # past ~15 working days / three weeks since closing
    late = assistant("run", "--json")
    assert late.returncode == 1, late
    report = only(late.json())
    assert report["status"] == "needs_user"
    advice = " ".join(report["advice"]).lower()
    assert "support" in advice or "dispute" in advice, advice
    assert requests_of(portal, SCENARIO_ORDER) == []


def test_a_request_the_portal_dropped_is_not_waited_out(
    portal: PortalHandle, assistant: Assistant
) -> None:
    # The portal silently drops the confirmed request a day later: "Cancel order" is back
    # and nothing is pending. Waiting out the seller's 15 days would let the order ship.
    seller = {"on_cancel": "drop", "answer_after_hours": 24, "replies": []}
    portal.reset(scenario("awaiting_shipment", first_order={"seller": seller}))
    assert assistant("cancel", SCENARIO_ORDER).returncode == 0
    assert portal.order_state(SCENARIO_ORDER)["state"] == "cancellation_requested"

    portal.advance(days=2)
    after = assistant("run", "--json")

    assert after.returncode == 0, after
    assert portal.order_state(SCENARIO_ORDER)["state"] == "awaiting_shipment"
    report = only(after.json())
    assert report["status"] == "waiting_seller"
    assert any("after_rejection" in line for line in report["done"]), report
    assert "no longer shows our cancellation request" in " ".join(report["advice"]), report
    assert len(requests_of(portal, SCENARIO_ORDER)) == 1  # never a second request
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 2

    portal.advance(days=1)
    assert assistant("run").returncode == 0
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 2  # the follow-up is sent once
