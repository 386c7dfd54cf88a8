"""What the buyer sees of an order: labels, hints, buttons and formatted values."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .records import OrderRec
from .scenario import ClosedReason, OrderState
from .state import SELLER_DEADLINE, UNPAID_EXPIRY, Portal

TAB_STATES: dict[str, set[OrderState]] = {
    "to_pay": {OrderState.AWAITING_PAYMENT, OrderState.PAYMENT_VERIFYING},
    "to_ship": {
        OrderState.AWAITING_SHIPMENT,
        OrderState.CANCELLATION_REQUESTED,
        OrderState.CANCELLATION_REJECTED,
    },
    "shipped": {OrderState.SHIPPED, OrderState.SHIPMENT_CANCELED},
    "processed": {OrderState.COMPLETED, OrderState.CLOSED},
}
TABS = [
    ("all", "View All"),
    ("to_pay", "To pay"),
    ("to_ship", "To ship"),
    ("shipped", "Shipped"),
    ("processed", "Processed"),
]
REFUND_STEPS = [
    "Refund requested",
    "Refund processed by platform",
    "Refund sent to your payment method",
]

_LABELS = {
    OrderState.AWAITING_PAYMENT: "Awaiting payment",
    OrderState.PAYMENT_VERIFYING: "Payment being verified",
    OrderState.AWAITING_SHIPMENT: "Awaiting shipment",
    OrderState.CANCELLATION_REQUESTED: "Awaiting cancellation",
    OrderState.CANCELLATION_REJECTED: "Awaiting shipment",
    OrderState.SHIPPED: "Awaiting delivery",
    OrderState.SHIPMENT_CANCELED: "Shipment canceled",
    OrderState.COMPLETED: "Completed",
}
_CLOSED_HINTS = {
    ClosedReason.BUYER_CANCELLED: "You canceled this order.",
    ClosedReason.SELLER_ACCEPTED: "The seller accepted your cancellation request.",
    ClosedReason.SELLER_TIMEOUT: (
        "The seller did not respond in time. The order was closed in your favour."
    ),
    ClosedReason.SELLER_CANCELLED: "This order was canceled by the seller.",
    ClosedReason.PLATFORM_CANCELLED: (
        "This order was canceled by the platform for security reasons."
    ),
    ClosedReason.EXPIRED: "The order was closed because it was not paid in time.",
}
REJECTED_NOTE = "The seller rejected your cancellation request."


def money(value: Decimal) -> str:
    return f"US ${value:,.2f}"


def day(dt: datetime | None) -> str:
    return f"{dt:%b} {dt.day}, {dt:%Y}" if dt else ""


def stamp(dt: datetime | None) -> str:
    return f"{day(dt)} {dt:%H:%M}" if dt else ""


def duration(delta: timedelta) -> str:
    total_hours = int(delta.total_seconds() // 3600)
    days, hours = divmod(max(total_hours, 0), 24)
    if days == 0 and hours == 0:
        return "less than an hour"
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    return " ".join(parts)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def status_label(rec: OrderRec) -> str:
    if rec.state == OrderState.CLOSED:
        return "Expired" if rec.closed_reason == ClosedReason.EXPIRED else "Canceled"
    return _LABELS[rec.state]


def status_hint(portal: Portal, rec: OrderRec) -> str:
    s, now = rec.state, portal.now
    if s == OrderState.AWAITING_PAYMENT:
        left = duration(rec.spec.placed_at + UNPAID_EXPIRY - now)
        return f"Please pay within {left}. Unpaid orders are closed automatically."
    if s == OrderState.PAYMENT_VERIFYING:
        return "Your payment is being verified. This usually takes a few minutes."
    if s == OrderState.AWAITING_SHIPMENT:
        if portal.cancel_refusal(rec) is not None:
            return "Cancel order will be available 24 hours after payment."
        return "The seller is preparing your order."
    if s == OrderState.CANCELLATION_REQUESTED and rec.requested_at:
        left = duration(rec.requested_at + SELLER_DEADLINE - now)
        return (
            f"The seller has {left} to respond to your cancellation request. If the seller "
            "does not respond in time, the order will be closed and you will get a refund."
        )
    if s == OrderState.CANCELLATION_REJECTED:
        return "Contact the seller and ask them not to ship the order."
    if s == OrderState.SHIPPED:
        extra = " Free return is available for this order." if free_return(rec) else ""
        return "Your order is on its way." + extra
    if s == OrderState.SHIPMENT_CANCELED:
        return "The shipment was canceled. Contact the seller or open a dispute."
    if s == OrderState.CLOSED and rec.closed_reason:
        return _CLOSED_HINTS[rec.closed_reason]
    return "Order completed."


def free_return(rec: OrderRec) -> bool:
    return any(i.free_return for i in rec.spec.items)


def card_buttons(portal: Portal, rec: OrderRec) -> list[str]:
    s = rec.state
    can_cancel = portal.cancel_refusal(rec) is None
    if s == OrderState.AWAITING_PAYMENT:
        return ["Pay now", "Cancel order", "Contact seller"]
    if s in (OrderState.PAYMENT_VERIFYING, OrderState.AWAITING_SHIPMENT):
        return (["Cancel order"] if can_cancel else []) + ["Contact seller"]
    if s == OrderState.SHIPPED:
        return ["Track order", "Confirm received", "Contact seller"]
    if s == OrderState.SHIPMENT_CANCELED:
        return ["Track order", "Contact seller"]
    if s == OrderState.COMPLETED:
        return ["Write a review", "Add to cart", "Delete"]
    if s == OrderState.CLOSED:
        return ["Add to cart", "Delete"]
    return ["Contact seller"]


def detail_buttons(portal: Portal, rec: OrderRec) -> list[str]:
    s, out = rec.state, []
    if s == OrderState.AWAITING_PAYMENT:
        out.append("Pay now")
    if portal.cancel_refusal(rec) is None:
        out.append("Cancel order")
    if s in (OrderState.SHIPPED, OrderState.SHIPMENT_CANCELED):
        out.append("Track order")
    if s == OrderState.SHIPPED and free_return(rec):
        out.append("Free return")
    if s in (OrderState.SHIPPED, OrderState.SHIPMENT_CANCELED, OrderState.COMPLETED):
        out.append("Open dispute")
    if s == OrderState.SHIPPED:
        out.append("Confirm received")
    return out


def message_url(order_id: str) -> str:
    return f"/p/message/index.html?fromCode=order&orderId={order_id}"


def card(portal: Portal, rec: OrderRec) -> dict[str, Any]:
    """The JSON the list page's script draws a card from (also used server-side)."""
    spec = rec.spec
    return {
        "id": rec.id,
        "status": status_label(rec),
        "date": day(spec.placed_at),
        "store": spec.store,
        "store_url": f"/store/{slug(spec.store)}",
        "details_url": f"/orders/{rec.id}",
        "message_url": message_url(rec.id),
        "tracking_url": f"/orders/{rec.id}/tracking",
        "total": money(rec.total),
        "items": [
            {
                "title": i.title,
                "options": ", ".join(f"{k}: {v}" for k, v in i.options.items()),
                "price": money(i.price),
                "qty": f"x{i.qty}",
                "color": i.color,
                "free_return": i.free_return,
            }
            for i in spec.items
        ],
        "buttons": card_buttons(portal, rec),
    }


def price_rows(rec: OrderRec) -> list[tuple[str, str]]:
    c = rec.spec.coupons
    rows = [("Subtotal", money(rec.subtotal)), ("Shipping", money(rec.spec.shipping))]
    if c.platform:
        rows.append(("Platform coupon", "-" + money(c.platform.amount)))
    if c.seller:
        rows.append(("Seller coupon", "-" + money(c.seller)))
    if c.promo_code:
        rows.append(("Promo code", f"-{money(c.promo_code.amount)} ({c.promo_code.code})"))
    rows.append(("Total", money(rec.total)))
    return rows


def refund_view(portal: Portal, rec: OrderRec) -> dict[str, Any] | None:
    steps = portal.refund_steps(rec)
    if steps is None:
        return None
    done = [s for s in steps if s is not None]
    view: dict[str, Any] = {
        "amount": money(rec.total),
        "steps": [
            {
                "name": name,
                "done": when is not None,
                "date": day(when),
                "current": when is not None and i == len(done) - 1,
            }
            for i, (name, when) in enumerate(zip(REFUND_STEPS, steps, strict=True))
        ],
        "coupon": None,
    }
    if rec.spec.coupons.platform:
        returned, why = portal.platform_coupon_returned(rec)
        view["coupon"] = (
            "Platform coupon: returned" if returned else (f"Platform coupon: not returned ({why})")
        )
    return view


def order_context(portal: Portal, rec: OrderRec) -> dict[str, Any]:
    spec = rec.spec
    refusal = portal.cancel_refusal(rec)
    return {
        "order": rec,
        "card": card(portal, rec),
        "status": status_label(rec),
        "hint": status_hint(portal, rec),
        "rejected_note": REJECTED_NOTE if rec.state == OrderState.CANCELLATION_REJECTED else None,
        "buttons": detail_buttons(portal, rec),
        "info": [
            ("Order ID:", rec.id),
            ("Order placed on:", stamp(spec.placed_at)),
            ("Payment method:", spec.payment_method if rec.paid_at else "Not paid"),
            ("Payment time:", stamp(rec.paid_at) if rec.paid_at else "Not paid"),
        ],
        "prices": price_rows(rec),
        "refund": refund_view(portal, rec),
        "paid_amount": money(rec.total),
        "paid_at": stamp(rec.paid_at),
        "paid_order": rec.state == OrderState.AWAITING_SHIPMENT,
        "can_cancel": refusal is None,
        "reasons": portal.scenario.reasons,
        "message_url": message_url(rec.id),
        "store_url": f"/store/{slug(spec.store)}",
        "free_return": free_return(rec),
    }


def in_tab(rec: OrderRec, tab: str) -> bool:
    if tab == "deleted":
        return rec.deleted or rec.state == OrderState.CLOSED
    if rec.deleted:
        return False
    return tab == "all" or rec.state in TAB_STATES.get(tab, set())


def matches(rec: OrderRec, q: str) -> bool:
    q = q.strip().lower()
    return not q or q in rec.id or any(q in i.title.lower() for i in rec.spec.items)
