"""Cancelling: instant for unpaid orders, a request with reason and report answer otherwise.

Every test checks what the portal itself recorded (its control API), not only the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from assistant.domain.errors import NotCancellableError
from assistant.domain.models import OrderStatus
from flows.cancel import CancelResult, cancel_order
from flows.order_page import WrongOrderError
from flows.portal import Portal
from mock_site.pytest_plugin import PortalHandle
from tests.support.flows import REASONS, MakePortal
from tests.support.orders import SCENARIO_ORDER, SECOND_ORDER
from tests.support.skins import reason as portal_reason
from tests.support.skins import text


def cancel(
    made: Portal, now: datetime, order_id: str = SCENARIO_ORDER, **kwargs: Any
) -> CancelResult:
    kwargs.setdefault("reasons", REASONS)
    kwargs.setdefault("report_supplier", False)
    kwargs.setdefault("before_submit", lambda _: None)
    return made.cancel(order_id, now=now, **kwargs)


def requests_of(portal: PortalHandle, order_id: str = SCENARIO_ORDER) -> list[dict[str, Any]]:
    """The cancellations the buyer submitted (not those the scenario started with)."""
    return [
        r for r in portal.order_state(order_id)["cancellation_requests"] if not r.get("preexisting")
    ]


@pytest.mark.parametrize("scenario", ["awaiting_payment", "payment_verifying"])
def test_unpaid_order_is_cancelled_at_once(
    scenario: str, portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    portal.reset(scenario)
    seen: list[dict[str, object]] = []

    result = cancel(make_portal(), now, before_submit=seen.append)

    assert result.submitted and result.reason == "I ordered the wrong product(s)"
    assert result.report_supplier is None  # no report question for unpaid orders
    assert result.order.status is OrderStatus.CLOSED
    assert len(seen) == 1
    recorded = portal.order_state(SCENARIO_ORDER)
    assert recorded["state"] == "closed"
    assert recorded["closed_reason"] == "buyer_cancelled"
    [request] = requests_of(portal)
    assert request["accepted"] and request["reason"] == "I ordered the wrong product(s)"
    assert request["report"] is None


@pytest.mark.scenario("awaiting_shipment")
def test_paid_order_gets_one_request_with_reason_and_no_report(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    seen: list[dict[str, object]] = []

    result = cancel(make_portal(), now, before_submit=seen.append)

    assert result.submitted
    assert (result.reason, result.report_supplier) == ("I ordered the wrong product(s)", False)
    assert result.order.status is OrderStatus.CANCELLATION_REQUESTED
    # The hook (the journal's attempt) gets the reason as the portal offers it, in its language.
    wording = portal_reason(portal, "I ordered the wrong product(s)")
    assert seen == [{"reason": wording, "report_supplier": False}]
    assert portal.order_state(SCENARIO_ORDER)["state"] == "cancellation_requested"
    [request] = requests_of(portal)
    assert request["accepted"]
    assert (request["reason"], request["report"]) == ("I ordered the wrong product(s)", "no")


@pytest.mark.scenario("awaiting_shipment")
def test_report_answered_yes_only_when_asked(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    fraud = ("The supplier refuses to ship the product(s)", *REASONS)

    result = cancel(make_portal(), now, reasons=fraud, report_supplier=True)

    assert result.report_supplier is True
    [request] = requests_of(portal)
    assert (request["reason"], request["report"]) == (fraud[0], "yes")


@pytest.mark.scenario("guide_reasons")
@pytest.mark.parametrize(
    ("wanted", "chosen"),
    [
        (REASONS, "I ordered the wrong item"),
        (("Other reason(s)",), "Other reasons"),  # the policy's spelling, the portal's label
    ],
)
def test_reason_picked_from_the_portals_own_wording(
    wanted: tuple[str, ...],
    chosen: str,
    portal: PortalHandle,
    make_portal: MakePortal,
    now: datetime,
) -> None:
    result = cancel(make_portal(), now, reasons=wanted)

    assert result.reason == chosen
    [request] = requests_of(portal)
    assert (request["reason"], request["report"]) == (chosen, "no")


@pytest.mark.scenario("awaiting_shipment")
def test_cancel_twice_submits_once(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    made = make_portal()
    first = cancel(made, now)
    second = cancel(made, now)

    assert first.submitted and not second.submitted
    assert second.order.status is OrderStatus.CANCELLATION_REQUESTED
    assert len(requests_of(portal)) == 1
    # A fresh browser (another run of the assistant) does not submit again either.
    assert not cancel(make_portal(), now).submitted
    assert len(requests_of(portal)) == 1


@pytest.mark.parametrize("scenario", ["shipped", "completed", "rejected", "awaiting_shipment_24h"])
def test_not_cancellable_states_refuse_and_record_nothing(
    scenario: str, portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    portal.reset(scenario)
    before = portal.order_state(SCENARIO_ORDER)

    with pytest.raises(NotCancellableError) as raised:
        cancel(make_portal(), now)

    assert raised.value.order_id == SCENARIO_ORDER
    after = portal.order_state(SCENARIO_ORDER)
    assert after["state"] == before["state"]
    assert after["cancellation_requests"] == before["cancellation_requests"]
    assert portal.state()["requests"].get("cancel", 0) == 0


@pytest.mark.scenario("awaiting_shipment_24h")
def test_cancel_possible_once_24_hours_have_passed(
    portal: PortalHandle, make_portal: MakePortal
) -> None:
    portal.advance(hours=23)  # paid 2 h before "now": the button appears at 24 h
    later = datetime.fromisoformat(portal.state()["now"])

    result = cancel(make_portal(), later)

    assert result.order.status is OrderStatus.CANCELLATION_REQUESTED
    assert len(requests_of(portal)) == 1


@pytest.mark.scenario("guide_reasons")
def test_page_showing_another_order_refuses_before_any_click(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    made = make_portal()
    made.goto_order(SECOND_ORDER)  # the page shows order B ...
    page: Page = made.page

    with pytest.raises(WrongOrderError) as raised:  # ... and we ask to cancel order A
        cancel_order(
            page,
            made.profile,  # the profile the portal turned out to need (auto-detected)
            SCENARIO_ORDER,
            reasons=REASONS,
            report_supplier=False,
            now=now,
            before_submit=lambda _: pytest.fail("nothing may be submitted"),
        )

    assert raised.value.order_id == SCENARIO_ORDER
    # The cancel dialog never opened (the accessible skin has it in the page, closed).
    expect(page.get_by_text(text(portal, "choice_text"))).to_be_hidden()
    assert portal.state()["requests"].get("cancel", 0) == 0
    for order_id in (SCENARIO_ORDER, SECOND_ORDER):
        assert portal.order_state(order_id)["cancellation_requests"] == []
