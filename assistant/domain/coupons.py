"""What happens to the coupons of a cancelled order (DOMAIN.md "Coupons").

A platform coupon spread over several items comes back only if every item it paid for was
cancelled and it has not expired; seller coupons and promo codes never come back. The
buyer should know this before cancelling part of a multi-item order, so the policy puts
the outcome in the plan.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from assistant.domain.models import CouponKind, CouponOutcome, Order, OrderStatus


def cancelled_item_indices(order: Order) -> frozenset[int]:
    """Items counted as cancelled: those flagged, or all of them once the order is closed."""
    flagged = frozenset(i for i, item in enumerate(order.items) if item.cancelled)
    if flagged:
        return flagged
    if order.status is OrderStatus.CLOSED:
        return frozenset(range(len(order.items)))
    return frozenset()


def coupon_outcomes(
    order: Order, now: datetime, cancelled: Collection[int] | None = None
) -> tuple[CouponOutcome, ...]:
    """Whether each coupon of ``order`` comes back, and why.

    ``cancelled`` are the indices of the cancelled items (default: see
    ``cancelled_item_indices``); ``now`` decides whether a coupon has expired.
    """
    done = frozenset(cancelled) if cancelled is not None else cancelled_item_indices(order)
    outcomes: list[CouponOutcome] = []
    for coupon in order.coupons:
        if coupon.kind is CouponKind.SELLER:
            returned, why = False, "seller coupons do not come back after a cancellation"
        elif coupon.kind is CouponKind.PROMO_CODE:
            returned, why = False, "promo-code discounts do not come back after a cancellation"
        else:
            covered = frozenset(coupon.covers) or frozenset(range(len(order.items)))
            missing = sorted(covered - done)
            if missing:
                returned = False
                why = (
                    "a platform coupon comes back only if all the items it paid for were "
                    f"cancelled; items {missing} were not"
                )
            elif coupon.expires_at is not None and coupon.expires_at <= now:
                returned = False
                why = f"the platform coupon expired on {coupon.expires_at.isoformat()}"
            else:
                returned = True
                why = "all the items the platform coupon paid for were cancelled and it is valid"
        outcomes.append(CouponOutcome(coupon=coupon, returned=returned, why=why))
    return tuple(outcomes)
