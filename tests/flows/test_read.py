"""Reading an order in every state of DOMAIN.md: status, actions, totals, items, coupons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from assistant.domain.models import (
    CancellationAnswer,
    CancelledBy,
    CouponKind,
    Money,
    OrderStatus,
    PortalAction,
)
from mock_site.pytest_plugin import PortalHandle
from tests.support.flows import MakePortal
from tests.support.orders import SCENARIO_ORDER, SECOND_ORDER
from tests.support.skins import status_label, text

A = PortalAction


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount))


@dataclass(frozen=True)
class Expected:
    """What the detail page of the scenario's order must read as."""

    status: OrderStatus
    label: str
    actions: frozenset[PortalAction]
    total: str
    store: str
    items: tuple[tuple[str, int, str], ...]  # (title starts with, quantity, unit price)
    coupons: dict[CouponKind, str] = field(default_factory=dict)
    refund_done: tuple[bool, bool, bool] | None = None


EARBUDS = ("Wireless Bluetooth 5.3 Earbuds", 1, "12.99")
STATES = {
    "awaiting_payment": Expected(
        OrderStatus.AWAITING_PAYMENT, "Awaiting payment",
        frozenset({A.PAY, A.CANCEL, A.CONTACT_SELLER}), "12.90",
        "Urban Threads Official Store", (("Men's Cotton Oversized T-Shirt", 2, "6.45"),),
    ),
    "payment_verifying": Expected(
        OrderStatus.PAYMENT_VERIFYING, "Payment being verified",
        frozenset({A.CANCEL, A.CONTACT_SELLER}), "12.99", "Sunrise Electronics Store", (EARBUDS,),
    ),
    "awaiting_shipment": Expected(
        OrderStatus.AWAITING_SHIPMENT, "Awaiting shipment",
        frozenset({A.CANCEL, A.CONTACT_SELLER}), "18.39", "Sunrise Electronics Store",
        (EARBUDS, ("USB-C Fast Charging Cable", 2, "3.20")), {CouponKind.SELLER: "1.00"},
    ),
    "awaiting_shipment_24h": Expected(
        OrderStatus.AWAITING_SHIPMENT, "Awaiting shipment",
        frozenset({A.CONTACT_SELLER}), "12.99", "Sunrise Electronics Store", (EARBUDS,),
    ),
    "cancellation_requested": Expected(
        OrderStatus.CANCELLATION_REQUESTED, "Awaiting cancellation",
        frozenset({A.CONTACT_SELLER}), "12.99", "Sunrise Electronics Store", (EARBUDS,),
    ),
    "rejected": Expected(
        OrderStatus.CANCELLATION_REJECTED, "Awaiting shipment",
        frozenset({A.CONTACT_SELLER}), "12.99", "Sunrise Electronics Store", (EARBUDS,),
    ),
    "shipped": Expected(
        OrderStatus.SHIPPED, "Awaiting delivery",
        frozenset({A.TRACK, A.CONFIRM_RECEIVED, A.OPEN_DISPUTE, A.CONTACT_SELLER}), "2.99",
        "TechNest Accessories", (("Phone Case for iPhone 15 Pro", 1, "2.99"),),
    ),
    "shipped_free_return": Expected(
        OrderStatus.SHIPPED, "Awaiting delivery",
        frozenset({A.TRACK, A.FREE_RETURN, A.CONFIRM_RECEIVED, A.OPEN_DISPUTE, A.CONTACT_SELLER}),
        "24.50", "FitStep Sports Store", (("Women's Running Shoes", 1, "24.50"),),
    ),
    "shipment_canceled": Expected(
        OrderStatus.SHIPMENT_CANCELED, "Shipment canceled",
        frozenset({A.TRACK, A.OPEN_DISPUTE, A.CONTACT_SELLER}), "18.60",
        "Lumi Lighting Factory Store", (("LED Desk Lamp", 1, "18.60"),),
    ),
    "closed_refunding": Expected(
        OrderStatus.CLOSED, "Canceled", frozenset({A.CONTACT_SELLER}), "21.05",
        "HomeJoy Kitchen Store",
        (("Stainless Steel Insulated Water Bottle", 1, "9.80"),
         ("Silicone Kitchen Utensil Set", 1, "15.75")),
        {CouponKind.PLATFORM: "2.00", CouponKind.SELLER: "1.00", CouponKind.PROMO_CODE: "3.00"},
        refund_done=(True, True, False),
    ),
    "completed": Expected(
        OrderStatus.COMPLETED, "Completed", frozenset({A.OPEN_DISPUTE, A.CONTACT_SELLER}),
        "7.30", "Urban Threads Official Store", (("Canvas Tote Bag", 1, "7.30"),),
    ),
    "seller_cancelled": Expected(
        OrderStatus.CLOSED, "Canceled", frozenset({A.CONTACT_SELLER}), "12.99",
        "Sunrise Electronics Store", (EARBUDS,), refund_done=(True, False, False),
    ),
}  # fmt: skip


def shown_coupons(portal: PortalHandle, coupons: dict[CouponKind, str]) -> dict[CouponKind, Money]:
    """The coupons as the skin's detail page lets them be read.

    The accessible skin has a row per coupon; the real skin one "Discount" / "Descuento"
    row for all of them together (docs/portal-ui.md), which the bundled en/es profiles
    list under ``seller_coupon``.
    """
    if portal.skin == "accessible" or not coupons:
        return {kind: usd(amount) for kind, amount in coupons.items()}
    return {CouponKind.SELLER: usd(str(sum(Decimal(amount) for amount in coupons.values())))}


@pytest.mark.parametrize("scenario", list(STATES))
def test_read_order_in_each_state(
    scenario: str, portal: PortalHandle, make_portal: MakePortal
) -> None:
    portal.reset(scenario)
    now = datetime.fromisoformat(portal.state()["now"])
    want = STATES[scenario]
    recorded = portal.order_state(SCENARIO_ORDER)

    order = make_portal().read_order(SCENARIO_ORDER, now)

    assert order.order_id == SCENARIO_ORDER
    assert (order.status, order.status_label) == (want.status, status_label(portal, want.label))
    assert order.actions == want.actions
    assert order.total == usd(want.total)
    assert order.store == want.store
    assert len(order.items) == len(want.items)
    for item, (prefix, quantity, price) in zip(order.items, want.items, strict=True):
        assert item.title.startswith(prefix)
        assert (item.quantity, item.unit_price) == (quantity, usd(price))
    assert {c.kind: c.amount for c in order.coupons} == shown_coupons(portal, want.coupons)
    if recorded["paid_at"] and want.status is not OrderStatus.AWAITING_PAYMENT:
        assert order.paid_at == datetime.fromisoformat(recorded["paid_at"])
    else:
        assert order.paid_at is None
    if want.refund_done is None:
        assert order.refund is None
    else:
        assert order.refund is not None
        assert tuple(step.done for step in order.refund.steps) == want.refund_done
        assert order.refund.amount == usd(want.total)


@pytest.mark.scenario("awaiting_shipment")
def test_read_free_return_tag_only_on_free_return_items(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    order = make_portal().read_order(SCENARIO_ORDER, now)
    assert not any(item.free_return for item in order.items)
    portal.reset("shipped_free_return")
    order = make_portal().read_order(SCENARIO_ORDER, now)
    assert [item.free_return for item in order.items] == [True]


@pytest.mark.scenario("cancellation_requested")
def test_read_pending_request_and_seller_deadline(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    requested = datetime.fromisoformat(portal.order_state(SCENARIO_ORDER)["requested_at"])

    order = make_portal().read_order(SCENARIO_ORDER, now)

    assert order.cancellation is not None
    assert order.cancellation.answer is CancellationAnswer.PENDING
    # "The seller has 14 days 23 hours to respond": hours are the page's precision.
    assert order.cancellation.deadline == requested + timedelta(days=15)
    assert abs(order.cancellation.requested_at - requested) < timedelta(hours=1)


@pytest.mark.scenario("rejected")
def test_read_rejected_request(make_portal: MakePortal, now: datetime) -> None:
    order = make_portal().read_order(SCENARIO_ORDER, now)
    assert order.cancellation is not None
    assert order.cancellation.answer is CancellationAnswer.REJECTED
    assert PortalAction.CANCEL not in order.actions


@pytest.mark.scenario("seller_cancelled")
def test_read_who_closed_the_order(make_portal: MakePortal, now: datetime) -> None:
    made = make_portal()
    assert made.read_order(SCENARIO_ORDER, now).cancelled_by is CancelledBy.SELLER
    assert made.read_order(SECOND_ORDER, now).cancelled_by is CancelledBy.PLATFORM


@pytest.mark.scenario("closed_refunding")
def test_refund_progress_moves_with_the_clock(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    made = make_portal()

    before = made.read_order(SCENARIO_ORDER, now)

    assert before.refund is not None and not before.refund.finished
    assert [step.name for step in before.refund.steps] == [
        text(portal, "refund_step_1"),  # "Refund requested"
        text(portal, "refund_step_2"),  # "Refund processed by platform"
        text(portal, "refund_step_3"),  # "Refund sent to your payment method"
    ]
    assert [step.date for step in before.refund.steps] == refund_days(portal)  # 2 of 3 done
    assert before.closed_at == before.refund.steps[0].date

    portal.advance(days=4)
    after = made.read_order(SCENARIO_ORDER, datetime.fromisoformat(portal.state()["now"]))

    assert after.refund is not None and after.refund.finished
    assert [step.date for step in after.refund.steps] == refund_days(portal)


def refund_days(portal: PortalHandle) -> list[datetime | None]:
    """The portal's refund step times, as the page shows them (dates, no time of day)."""
    steps = portal.order_state(SCENARIO_ORDER)["refund_steps"]
    return [
        datetime.fromisoformat(step).replace(hour=0, minute=0) if step else None for step in steps
    ]
