"""The order detail page: its locators, and reading everything the policy needs from it.

Reads only; actions on this page (cancel, message) live in their own modules. Every value
comes from visible text located by role and label, so another markup with the same words
reads the same.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from playwright.sync_api import Locator, Page

from assistant.domain.errors import PortalChangedError, PortalError
from assistant.domain.models import (
    CancellationAnswer,
    CancellationRequest,
    CancelledBy,
    Coupon,
    CouponKind,
    Money,
    Order,
    OrderItem,
    OrderStatus,
    PortalAction,
    RefundProgress,
    RefundStep,
    Shipment,
)
from flows.parsing import digits, lines, parse_datetime, parse_duration, parse_money, row_value
from flows.profile import LabelKey, PortalProfile

log = logging.getLogger(__name__)

SELLER_ANSWER_DAYS = 15
_QUANTITY = re.compile(r"(?:^|\s)x(\d+)\b")


class WrongOrderError(PortalError):
    """The page shows another order than the one asked for: nothing may be clicked."""


class OrderPage:
    """Locators of the detail page, set once, and the reads built on them."""

    def __init__(self, page: Page, profile: PortalProfile) -> None:
        self.page = page
        self.profile = profile
        self.status_block = page.get_by_role("region", name=profile.exact("order_status_region"))
        self.status_heading = self.status_block.get_by_role("heading").first
        self.order_tab = page.get_by_role("tab", name=profile.exact("order_tab"))
        self.payment_tab = page.get_by_role("tab", name=profile.exact("payment_tab"))
        self.order_panel = page.get_by_role("tabpanel", name=profile.exact("order_tab"))
        self.payment_panel = page.get_by_role("tabpanel", name=profile.exact("payment_tab"))
        self.price_details = page.get_by_label(profile.exact("price_details"))
        self.refund_steps = page.get_by_role("list", name=profile.exact("refund_progress"))
        self.cancel_button = page.get_by_role("button", name=profile.exact("cancel_order"))
        self.contact_seller = page.get_by_role("link", name=profile.exact("contact_seller")).or_(
            page.get_by_role("button", name=profile.exact("contact_seller"))
        )
        self.not_found = page.get_by_role("heading", name=profile.exact("not_found"))

    # -- identity -------------------------------------------------------------------------
    def shown_order_id(self) -> str:
        """The order number the page itself shows (never the one from the URL)."""
        self.status_heading.wait_for()
        value = row_value(self.order_panel.inner_text(), self.labels("order_id"))
        if not value or not digits(value):
            raise PortalChangedError("no order number on the order page", url=self.page.url)
        return digits(value)

    def verify_order(self, order_id: str) -> None:
        """Refuse to go on when the page shows any other order than ``order_id``."""
        shown = self.shown_order_id()
        if shown != order_id:
            raise WrongOrderError(
                f"the page shows order {shown}, not the order asked for",
                order_id=order_id,
                url=self.page.url,
                fix="nothing was clicked; check the order number and the portal's links",
            )

    # -- reading --------------------------------------------------------------------------
    def read(self, order_id: str, now: datetime, *, with_refund: bool = True) -> Order:
        """The whole order as the page shows it, verified to be ``order_id``."""
        self.verify_order(order_id)
        label = " ".join(self.status_heading.inner_text().split())
        status = self.profile.status_for(label)
        if status is None:
            raise PortalChangedError(
                f"unknown order status label {label!r}",
                order_id=order_id,
                url=self.page.url,
                fix="add the label to the portal profile's 'statuses' table",
            )
        block = self.status_block.inner_text()
        if status is OrderStatus.AWAITING_SHIPMENT and self._says(block, "rejected_note"):
            status = OrderStatus.CANCELLATION_REJECTED
        info = self.order_panel.inner_text()
        placed_at = parse_datetime(row_value(info, self.labels("placed_on")) or "")
        if placed_at is None:
            raise PortalChangedError("no order date on the order page", order_id=order_id)
        paid_at = parse_datetime(row_value(info, self.labels("payment_time")) or "")
        prices = self.price_details.inner_text()
        total = parse_money(row_value(prices, self.labels("total")) or "")
        if total is None:
            raise PortalChangedError("no total on the order page", order_id=order_id)
        actions = self._actions()
        self._check_cancel_control(order_id, status, block, actions)
        refund = None
        if with_refund and status in (OrderStatus.CLOSED, OrderStatus.SHIPMENT_CANCELED):
            refund = self.read_refund()
        return Order(
            order_id=order_id,
            store=self._store_name(),
            items=self._items(),
            total=total,
            status=status,
            status_label=label,
            placed_at=placed_at,
            paid_at=paid_at,
            actions=actions,
            coupons=self._coupons(prices, total.currency),
            cancellation=self._cancellation(status, block, now, paid_at or placed_at),
            refund=refund,
            shipment=self._shipment(status),
            closed_at=_first_done(refund) if status is OrderStatus.CLOSED else None,
            cancelled_by=_cancelled_by(block) if status is OrderStatus.CLOSED else None,
        )

    def read_refund(self) -> RefundProgress | None:
        """The three refund steps of the "Payment" tab, or None when there is no refund."""
        self.payment_tab.click()
        no_refund = self.payment_panel.get_by_text(self.profile.exact("no_refund"))
        self.refund_steps.or_(no_refund).first.wait_for()
        try:
            return self._refund_progress()
        finally:
            # The other reads look in the "Order" panel: leave the page showing it.
            self.order_tab.click()

    def _refund_progress(self) -> RefundProgress | None:
        if not self.refund_steps.is_visible():
            return None
        steps = []
        for item in self.refund_steps.get_by_role("listitem").all():
            text = lines(item.inner_text())
            done = any(line in self.labels("step_done") for line in text)
            steps.append(
                RefundStep(
                    name=text[0],
                    done=done,
                    date=parse_datetime(" ".join(text[1:])) if done else None,
                )
            )
        if len(steps) != 3:
            raise PortalChangedError(
                f"refund progress has {len(steps)} steps, expected 3", url=self.page.url
            )
        panel = self.payment_panel.inner_text()
        amount = parse_money(row_value(panel, self.labels("refund_amount")) or "")
        return RefundProgress(steps=(steps[0], steps[1], steps[2]), amount=amount)

    # -- pieces ---------------------------------------------------------------------------
    def labels(self, key: LabelKey) -> list[str]:
        return self.profile.texts(key)

    def _says(self, text: str, key: LabelKey) -> bool:
        return any(label in text for label in self.labels(key))

    def _check_cancel_control(
        self, order_id: str, status: OrderStatus, block: str, actions: frozenset[PortalAction]
    ) -> None:
        """Awaiting shipment shows "Cancel order" or says when it will; neither: the page changed.

        Without this a renamed button reads as "not offered yet", and the policy would wait
        and message the seller on a guess.
        """
        if status is not OrderStatus.AWAITING_SHIPMENT or PortalAction.CANCEL in actions:
            return
        if self._says(block, "cancel_available_after"):
            return
        raise PortalChangedError(
            'no "Cancel order" control on an order awaiting shipment, and no notice of when '
            "it will be available",
            order_id=order_id,
            url=self.page.url,
            fix="the page no longer matches the flows: check the profile's 'cancel_order' label",
        )

    def _store_name(self) -> str:
        known = {*self.labels("order_info"), *self.labels("price_details")}
        for heading in self.order_panel.get_by_role("heading").all():
            text = " ".join(heading.inner_text().split())
            if text and text not in known:
                return text
        raise PortalChangedError("no store name on the order page", url=self.page.url)

    def _items(self) -> tuple[OrderItem, ...]:
        free_return_tags = {
            label for label, act in self.profile.actions.items() if act is PortalAction.FREE_RETURN
        }
        items = []
        for row in self.order_panel.get_by_role("listitem").filter(has_text=_QUANTITY).all():
            text = lines(row.inner_text())
            price = next((m for m in map(parse_money, text) if m is not None), None)
            quantity = next((int(q.group(1)) for q in map(_QUANTITY.search, text) if q), 1)
            if price is None:
                continue
            items.append(
                OrderItem(
                    title=text[0],
                    quantity=quantity,
                    unit_price=price,
                    options=tuple(t for t in text[1:] if ": " in t and parse_money(t) is None),
                    free_return=bool(free_return_tags.intersection(text)),
                )
            )
        return tuple(items)

    def _actions(self) -> frozenset[PortalAction]:
        # Two browser calls for every control on the page, matched here, rather than a
        # role query per known button.
        names = {
            " ".join(text.split())
            for role in ("button", "link")
            for text in self.page.get_by_role(role).all_inner_texts()
        }
        return frozenset(act for label, act in self.profile.actions.items() if label in names)

    def _coupons(self, prices: str, currency: str) -> tuple[Coupon, ...]:
        coupons = []
        rows: tuple[tuple[LabelKey, CouponKind], ...] = (
            ("platform_coupon", CouponKind.PLATFORM),
            ("seller_coupon", CouponKind.SELLER),
            ("promo_code", CouponKind.PROMO_CODE),
        )
        for key, kind in rows:
            amount = parse_money(row_value(prices, self.labels(key)) or "")
            if amount is not None:
                money = Money(amount=amount.amount, currency=currency)
                coupons.append(Coupon(kind=kind, amount=money))
        return tuple(coupons)

    def _cancellation(
        self, status: OrderStatus, block: str, now: datetime, fallback: datetime
    ) -> CancellationRequest | None:
        if status is OrderStatus.CANCELLATION_REQUESTED:
            left = parse_duration(block) if self._says(block, "seller_has") else None
            deadline = now + left if left else None
            requested = (deadline - timedelta(days=SELLER_ANSWER_DAYS)) if deadline else fallback
            return CancellationRequest(
                requested_at=max(requested, fallback), seller_deadline=deadline
            )
        if status is OrderStatus.CANCELLATION_REJECTED:
            return CancellationRequest(requested_at=fallback, answer=CancellationAnswer.REJECTED)
        return None

    @staticmethod
    def _shipment(status: OrderStatus) -> Shipment | None:
        if status is OrderStatus.SHIPMENT_CANCELED:
            return Shipment(shipment_canceled=True)
        if status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
            return Shipment()
        return None

    def loaded(self) -> Locator:
        """What proves the detail page is drawn (or that the order does not exist)."""
        return self.status_heading.or_(self.not_found)


def _first_done(refund: RefundProgress | None) -> datetime | None:
    if refund is None or not refund.steps[0].done:
        return None
    return refund.steps[0].date


def _cancelled_by(block: str) -> CancelledBy:
    lowered = block.casefold()
    if "by the seller" in lowered:
        return CancelledBy.SELLER
    if "by the platform" in lowered:
        return CancelledBy.PLATFORM
    return CancelledBy.BUYER
