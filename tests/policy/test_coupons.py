"""Coupon outcomes of a cancelled order, including a partly cancelled multi-item order."""

from __future__ import annotations

from datetime import timedelta

from policy_factories import NOW, intent, order

from assistant.domain.coupons import cancelled_item_indices, coupon_outcomes
from assistant.domain.models import Coupon, CouponKind, Money, OrderItem, OrderStatus, PortalAction
from assistant.domain.policy import decide

ITEMS = tuple(OrderItem(title=f"item {i}", unit_price=Money(amount="5.00")) for i in range(3))
PLATFORM = Coupon(kind=CouponKind.PLATFORM, amount=Money(amount="3.00"), covers=(0, 1))


def _order(*coupons: Coupon, status: OrderStatus = OrderStatus.AWAITING_SHIPMENT, **kw: object):  # type: ignore[no-untyped-def]
    return order(
        status, items=kw.pop("items", ITEMS), total=Money(amount="15.00"), coupons=coupons, **kw
    )


def test_platform_coupon_returns_when_all_its_items_are_cancelled() -> None:
    (outcome,) = coupon_outcomes(_order(PLATFORM), NOW, cancelled={0, 1})
    assert outcome.returned


def test_platform_coupon_lost_when_only_some_of_its_items_are_cancelled() -> None:
    (outcome,) = coupon_outcomes(_order(PLATFORM), NOW, cancelled={0, 2})
    assert not outcome.returned
    assert "[1]" in outcome.why


def test_platform_coupon_lost_when_expired() -> None:
    expired = PLATFORM.model_copy(update={"expires_at": NOW})
    (outcome,) = coupon_outcomes(_order(expired), NOW, cancelled={0, 1})
    assert not outcome.returned and "expired" in outcome.why


def test_platform_coupon_without_covers_spans_all_items() -> None:
    everywhere = Coupon(kind=CouponKind.PLATFORM, amount=Money(amount="3.00"))
    assert not coupon_outcomes(_order(everywhere), NOW, cancelled={0, 1})[0].returned
    assert coupon_outcomes(_order(everywhere), NOW, cancelled={0, 1, 2})[0].returned


def test_seller_coupons_and_promo_codes_never_return() -> None:
    seller = Coupon(kind=CouponKind.SELLER, amount=Money(amount="1.00"))
    promo = Coupon(kind=CouponKind.PROMO_CODE, amount=Money(amount="1.00"))
    outcomes = coupon_outcomes(_order(seller, promo), NOW, cancelled={0, 1, 2})
    assert [o.returned for o in outcomes] == [False, False]


def test_closed_order_counts_flagged_items_or_all() -> None:
    flagged = (ITEMS[0].model_copy(update={"cancelled": True}), ITEMS[1], ITEMS[2])
    partial = _order(PLATFORM, status=OrderStatus.CLOSED, items=flagged)
    assert cancelled_item_indices(partial) == {0}
    assert not coupon_outcomes(partial, NOW)[0].returned
    whole = _order(PLATFORM, status=OrderStatus.CLOSED)
    assert cancelled_item_indices(whole) == {0, 1, 2}
    assert coupon_outcomes(whole, NOW)[0].returned


def test_plan_for_a_cancellation_reports_coupons() -> None:
    o = _order(PLATFORM, actions=frozenset({PortalAction.CANCEL}))
    plan = decide(o, intent(), None, NOW)
    assert [c.returned for c in plan.coupons] == [True]
    closed = _order(PLATFORM, status=OrderStatus.CLOSED, closed_at=NOW - timedelta(days=1))
    assert len(decide(closed, intent(), None, NOW).coupons) == 1
