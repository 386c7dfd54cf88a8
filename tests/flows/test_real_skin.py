"""The flows on the mock's real-markup skin, English and Spanish, with no profile named.

The default profile finds out the portal is not the accessible mock and picks the bundled
"en" or "es" profile from the page's language; the URLs are learned from the links.
Every test checks what the portal itself recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from assistant.domain.errors import NotCancellableError, PortalError
from assistant.domain.models import CancellationAnswer, OrderStatus, PortalAction
from flows.portal import Portal
from flows.profile import load_profile
from mock_site.pytest_plugin import PortalHandle
from tests.support.flows import REASONS, MakePortal
from tests.support.orders import SCENARIO_ORDER
from tests.support.portal import set_faults

ORDER = SCENARIO_ORDER
SKINS = pytest.mark.parametrize("portal_skin", ["real", "real-es"])
TEXT = "Hello, I asked to cancel this order. Please do not ship it."


def zero_config(make_portal: MakePortal, **kwargs: Any) -> Portal:
    """A portal with the default profile (auto-detected) and a real-site time-out."""
    return make_portal(profile=load_profile(), **kwargs)


def cancel(made: Portal, now: datetime, **kwargs: Any) -> Any:
    kwargs.setdefault("reasons", REASONS)
    kwargs.setdefault("report_supplier", False)
    kwargs.setdefault("before_submit", lambda _: None)
    return made.cancel(ORDER, now=now, **kwargs)


def requests_of(portal: PortalHandle) -> list[dict[str, Any]]:
    made = portal.order_state(ORDER)["cancellation_requests"]
    return [r for r in made if not r.get("preexisting")]


@SKINS
@pytest.mark.scenario("login_extras")
def test_sign_in_with_a_one_time_code(portal: PortalHandle, make_portal: MakePortal) -> None:
    account = next(a for a in portal.scenario.accounts if a.email == "totp@example.com")
    assert account.verification is not None and account.verification.totp_secret
    made = zero_config(
        make_portal,
        signed_in=False,
        email=account.email,
        password=account.password,
        totp_secret=account.verification.totp_secret,
    )
    now = datetime.fromisoformat(portal.state()["now"])

    order = made.read_order(ORDER, now)

    assert order.order_id == ORDER and made.profile.name == portal.locale
    assert portal.state()["sign_ins"].get("totp@example.com") == 1


@SKINS
@pytest.mark.scenario("awaiting_payment")
def test_unpaid_order_cancelled_at_once(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    result = cancel(zero_config(make_portal), now)

    assert result.submitted and result.order.status is OrderStatus.CLOSED
    assert result.reason == "I ordered the wrong product(s)"
    assert portal.order_state(ORDER)["state"] == "closed"
    [request] = requests_of(portal)
    assert request["accepted"] and request["report"] is None


@SKINS
@pytest.mark.scenario("awaiting_shipment")
def test_request_with_preferred_reason_and_no_then_message(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    made = zero_config(make_portal)

    result = cancel(made, now)
    sent = made.send_message(ORDER, TEXT)
    again = made.send_message(ORDER, TEXT)

    assert result.submitted and result.order.status is OrderStatus.CANCELLATION_REQUESTED
    assert (result.reason, result.report_supplier) == ("I ordered the wrong product(s)", False)
    [request] = requests_of(portal)
    assert request["accepted"] and request["report"] == "no"
    assert sent and not again
    recorded = portal.order_state(ORDER)["messages"]
    assert [m["text"] for m in recorded if m["author"] == "buyer"] == [TEXT]
    [mine] = [m for m in made.read_messages(ORDER) if m.from_buyer]
    assert mine.text == TEXT and mine.at is not None
    # The URLs were learned from the links followed: the next run goes straight there.
    routes = made.routes.routes
    assert routes.order_detail == "/p/order/detail.html?orderId={order_id}"
    assert routes.messages is not None and "{order_id}" in routes.messages


@SKINS
@pytest.mark.parametrize(
    ("scenario", "status"),
    [
        ("awaiting_shipment_24h", OrderStatus.AWAITING_SHIPMENT),
        ("rejected", OrderStatus.CANCELLATION_REJECTED),
        ("shipped", OrderStatus.SHIPPED),
    ],
)
def test_not_cancellable_states_read_and_refuse(
    scenario: str, status: OrderStatus, portal: PortalHandle, make_portal: MakePortal
) -> None:
    portal.reset(scenario)
    now = datetime.fromisoformat(portal.state()["now"])
    made = zero_config(make_portal)

    order = made.read_order(ORDER, now)
    with pytest.raises(NotCancellableError):
        cancel(made, now)

    assert order.status is status and PortalAction.CANCEL not in order.actions
    assert PortalAction.CONTACT_SELLER in order.actions
    if status is OrderStatus.CANCELLATION_REJECTED:
        assert order.cancellation is not None
        assert order.cancellation.answer is CancellationAnswer.REJECTED
    assert portal.state()["requests"].get("cancel", 0) == 0


@SKINS
@pytest.mark.scenario("closed_refunding")
def test_refund_steps(portal: PortalHandle, make_portal: MakePortal, now: datetime) -> None:
    order = zero_config(make_portal).read_order(ORDER, now)

    assert order.status is OrderStatus.CLOSED
    assert order.refund is not None
    assert tuple(step.done for step in order.refund.steps) == (True, True, False)
    assert order.refund.amount == order.total


@SKINS
@pytest.mark.scenario("awaiting_shipment")
def test_redirect_to_a_foreign_site_stops_before_typing(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    foreign = portal.url.replace("127.0.0.1", "localhost")  # another site, same server
    set_faults(portal, [{"path": r"^/p/order/", "redirect": foreign + "/passport/login.htm"}])

    with pytest.raises(PortalError, match="another site"):
        zero_config(make_portal, signed_in=False).read_order(ORDER, now)

    assert portal.state()["requests"].get("login_password", 0) == 0
