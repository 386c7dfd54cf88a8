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
from flows.controls import control, controls, offered
from flows.others import OtherOrders
from flows.parsing import digits, lines, parse_datetime, parse_duration, parse_money, row_value
from flows.profile import LabelKey, PortalProfile
from flows.texts import find_label, match_one, pattern

log = logging.getLogger(__name__)

SELLER_ANSWER_DAYS = 15
_QUANTITY = re.compile(r"[x×]\s?(\d+)", re.IGNORECASE)


class WrongOrderError(PortalError):
    """The page shows another order than the one asked for: nothing may be clicked."""


class OrderPage:
    """The detail page, read by its visible texts and their neighbours, and its controls.

    The status is the element reading a known status label (the real page's status
    block has no name); every other value is the text next to its label ("Order ID:",
    "Total", ...) in the page's visible text, so another markup with the same words reads
    the same. Another order's card on the page (``flows.others``) is neither read nor
    clicked: ``order_id`` is the order the page is about (set by ``verify_order``).
    """

    def __init__(self, page: Page, profile: PortalProfile, order_id: str | None = None) -> None:
        self.page = page
        self.profile = profile
        self.order_id = order_id
        #: The page as ``verify_order`` last read it (what shows, the text), for ``read``.
        self._drawn: tuple[OtherOrders, str] | None = None
        self.formats = profile.formats
        self.status_text = page.get_by_text(pattern(profile.statuses)).filter(visible=True)
        self.status_heading = self.status_text.first
        self.order_id_label = page.get_by_text(profile.contains("order_id")).filter(visible=True)
        self.not_found = page.get_by_text(profile.exact("not_found"))
        self.body = page.locator("body")

    # -- controls -------------------------------------------------------------------------
    @property
    def cancel_button(self) -> Locator | None:
        """The visible "Cancel order" control of this order, if the page offers one."""
        return self._one("cancel_order")

    @property
    def contact_seller(self) -> Locator | None:
        """The "Contact seller" control of this order (a link on the real page)."""
        return self._one("contact_seller")

    def others(self) -> OtherOrders:
        """Other orders' cards on the page as drawn now (see ``flows.others``)."""
        return OtherOrders.on(self.page, self.profile, self.order_id, self.status_text)

    def _one(self, key: LabelKey) -> Locator | None:
        """The control reading the label outside other orders' cards; two are a guess."""
        found = controls(self.page, self.labels(key), outside=self.others().cards)
        if len(found) > 1:
            raise PortalChangedError(
                f"{len(found)} {' / '.join(repr(t) for t in self.labels(key))} controls on "
                "the order page, outside any other order's card; nothing was clicked",
                order_id=self.order_id,
                url=self.page.url,
                fix="the page no longer matches the flows: check it in a browser",
            )
        return found[0] if found else None

    def loaded(self) -> Locator:
        """What proves the detail page is drawn (or that the order does not exist)."""
        return self.status_heading.or_(self.order_id_label.first).or_(self.not_found.first)

    def wait_drawn(self) -> None:
        """Wait for the drawn page: its status and its order number (drawn together)."""
        self.loaded().first.wait_for()
        if not self.not_found.first.is_visible():
            self.order_id_label.first.wait_for()

    # -- identity -------------------------------------------------------------------------
    def shown_order_id(self, text: str | None = None) -> str:
        """The order number the page itself shows (never the one from the URL): the
        "Order ID:" row of its "Order info" (a product title may read "Order ID: ...")."""
        if text is None:
            self.wait_drawn()
            others = self.others()
            text = others.text()
            # Kept for ``read`` right after (goto_order verifies, then the page is read):
            # the same page, not changed since, is not waited for and read twice.
            self._drawn = (others, text)
        rows = lines(text)
        info = next((i for i, r in enumerate(rows) if match_one(r, self.labels("order_info"))), 0)
        labels = self.labels("order_id")
        value = row_value("\n".join(rows[info:]), labels) or row_value(text, labels)
        shown = digits(value.split()[0]) if value and value.split() else ""
        if not shown:
            raise PortalChangedError(
                f"no order number on the order page (looked for {self.labels('order_id')})",
                url=self.page.url,
            )
        return shown

    def verify_order(self, order_id: str, text: str | None = None) -> None:
        """Refuse to go on when the page shows any other order than ``order_id``."""
        self.order_id = order_id
        shown = self.shown_order_id(text)
        if shown != order_id:
            raise WrongOrderError(
                f"the page shows order {shown}, not the order asked for",
                order_id=order_id,
                url=self.page.url,
                fix="nothing was clicked; check the order number and the portal's links",
            )

    def text(self) -> str:
        """The page's visible text (hidden tabs and closed pop-ups are not in it), without
        other orders' cards."""
        return self.others().text()

    # -- reading --------------------------------------------------------------------------
    def status_label(self, order_id: str | None = None, others: OtherOrders | None = None) -> str:
        """The status as the page words it; an unknown one is a "portal changed" error."""
        for text in (others or self.others()).inner_texts(self.status_text):
            label = " ".join(text.split())
            if self.profile.status_for(label):
                return label
        headings = self.page.get_by_role("heading", level=1).all_inner_texts()
        shown = " ".join(headings[0].split()) if headings else "?"
        raise PortalChangedError(
            f"unknown order status label {shown!r} (known: {', '.join(self.profile.statuses)})",
            order_id=order_id,
            url=self.page.url,
            fix="add the label to the portal profile's 'statuses' table",
        )

    def read(self, order_id: str, now: datetime, *, with_refund: bool = True) -> Order:
        """The whole order as the page shows it, verified to be ``order_id``."""
        self.order_id = order_id
        drawn, self._drawn = self._drawn, None
        if drawn is None:
            self.wait_drawn()
            others = self.others()
            info = others.text()
        else:
            others, info = drawn
        self.verify_order(order_id, info)
        label = self.status_label(order_id, others)
        status = self.profile.status_for(label) or OrderStatus.UNKNOWN
        if status is OrderStatus.AWAITING_SHIPMENT and self._says(info, "rejected_note"):
            status = OrderStatus.CANCELLATION_REJECTED
        placed_at = parse_datetime(row_value(info, self.labels("placed_on")) or "", self.formats)
        if placed_at is None:
            raise PortalChangedError("no order date on the order page", order_id=order_id)
        paid_at = parse_datetime(row_value(info, self.labels("payment_time")) or "", self.formats)
        total = parse_money(row_value(info, self.labels("total")) or "", self.formats)
        if total is None:
            raise PortalChangedError("no total on the order page", order_id=order_id)
        actions = self._actions(others)
        self._check_cancel_control(order_id, status, info, actions)
        refund = None
        if with_refund and status in (OrderStatus.CLOSED, OrderStatus.SHIPMENT_CANCELED):
            refund = self.read_refund()
        return Order(
            order_id=order_id,
            store=self._store_name(info),
            items=self._items(info),
            total=total,
            status=status,
            status_label=label,
            placed_at=placed_at,
            paid_at=paid_at,
            actions=actions,
            coupons=self._coupons(info, total.currency),
            cancellation=self._cancellation(status, info, now, paid_at or placed_at),
            refund=refund,
            shipment=self._shipment(status),
            closed_at=_first_done(refund) if status is OrderStatus.CLOSED else None,
            cancelled_by=self._cancelled_by(info) if status is OrderStatus.CLOSED else None,
        )

    def _tab(self, key: LabelKey, others: OtherOrders) -> Locator | None:
        return control(self.page, self.labels(key), outside=others.cards)

    def read_refund(self) -> RefundProgress | None:
        """The three refund steps of the "Payment" tab, or None when there is no refund."""
        others = self.others()  # a tab only shows and hides: the cards stay the same
        tab = self._tab("payment_tab", others)
        if tab is None:
            raise PortalChangedError(
                f"no {' / '.join(self.labels('payment_tab'))} tab on the order page",
                url=self.page.url,
            )
        tab.click()
        progress = self.page.get_by_text(self.profile.exact("refund_progress")).filter(visible=True)
        no_refund = self.page.get_by_text(self.profile.contains("no_refund")).filter(visible=True)
        progress.first.or_(no_refund.first).first.wait_for()
        try:
            return self._refund_progress(others.text())
        finally:
            # The other reads look in the "Order" tab: leave the page showing it.
            back = self._tab("order_tab", others)
            if back is not None:
                back.click()

    def _refund_progress(self, text: str) -> RefundProgress | None:
        rows = lines(text)
        start = next(
            (i for i, r in enumerate(rows) if match_one(r, self.labels("refund_progress"))), None
        )
        if start is None or find_label(text, self.labels("no_refund")):
            return None
        done_words, pending_words = self.labels("step_done"), self.labels("step_pending")
        steps: list[RefundStep] = []
        name: str | None = None
        done, date = False, None
        for row in rows[start + 1 :]:
            if find_label(row, self.labels("refund_amount")) and row_value(
                row, self.labels("refund_amount")
            ):
                break
            if match_one(row, done_words) or match_one(row, pending_words):
                done = match_one(row, done_words)
                continue
            when = parse_datetime(row, self.formats)
            if when is not None and name is not None and len(row) < 40:
                date = when
                continue
            if name is not None:
                steps.append(RefundStep(name=name, done=done, date=date if done else None))
            name, done, date = row, False, None
        if name is not None:
            steps.append(RefundStep(name=name, done=done, date=date if done else None))
        if len(steps) != 3:
            raise PortalChangedError(
                f"refund progress has {len(steps)} steps, expected 3", url=self.page.url
            )
        amount = parse_money(row_value(text, self.labels("refund_amount")) or "", self.formats)
        return RefundProgress(steps=(steps[0], steps[1], steps[2]), amount=amount)

    # -- pieces ---------------------------------------------------------------------------
    def labels(self, key: LabelKey) -> list[str]:
        return self.profile.texts(key)

    def _says(self, text: str, key: LabelKey) -> bool:
        return find_label(text, self.labels(key)) is not None

    def _check_cancel_control(
        self, order_id: str, status: OrderStatus, text: str, actions: frozenset[PortalAction]
    ) -> None:
        """Awaiting shipment shows "Cancel order" or says when it will; neither: the page changed.

        Without this a renamed button reads as "not offered yet", and the policy would wait
        and message the seller on a guess.
        """
        if status is not OrderStatus.AWAITING_SHIPMENT or PortalAction.CANCEL in actions:
            return
        if self._says(text, "cancel_available_after"):
            return
        raise PortalChangedError(
            f"no {' / '.join(repr(t) for t in self.labels('cancel_order'))} control on an "
            "order awaiting shipment, and no notice of when it will be available",
            order_id=order_id,
            url=self.page.url,
            fix="the page no longer matches the flows: check the profile's 'cancel_order' label",
        )

    def _store_name(self, text: str) -> str:
        """The line just before a "Contact seller" that is not another control or label."""
        rows = lines(text)
        known = {*self.profile.actions, *self.profile.statuses}
        for index, row in enumerate(rows):
            if index and match_one(row, self.labels("contact_seller")):
                before = rows[index - 1]
                if not match_one(before, known) and parse_money(before, self.formats) is None:
                    return before
        raise PortalChangedError("no store name on the order page", url=self.page.url)

    def _items(self, text: str) -> tuple[OrderItem, ...]:
        """Items read from their lines: title, options, tags, price, then "x2"."""
        rows = lines(text)
        tags = {
            label for label, act in self.profile.actions.items() if act is PortalAction.FREE_RETURN
        }
        stop = next(
            (i for i, r in enumerate(rows) if match_one(r, self.labels("subtotal"))), len(rows)
        )
        begin = next(
            (i + 1 for i, r in enumerate(rows) if match_one(r, self.labels("contact_seller"))), 0
        )
        items: list[OrderItem] = []
        start = begin
        for q in range(begin, stop):
            quantity = _QUANTITY.fullmatch(rows[q])
            if not quantity:
                continue
            block = rows[start:q]
            while block and match_one(block[0], tags):
                block = block[1:]  # a tag drawn after the previous item's quantity
            price = next((m for m in map(self._money, reversed(block)) if m is not None), None)
            after = rows[q + 1] if q + 1 < stop else ""
            if price is None or not block:
                start = q + 1
                continue
            names = [r for r in block if parse_money(r, self.formats) is None]
            items.append(
                OrderItem(
                    title=names[0] if names else block[0],
                    quantity=int(quantity.group(1)),
                    unit_price=price,
                    options=tuple(r for r in names[1:] if ": " in r),
                    free_return=any(match_one(r, tags) for r in [*block, after]),
                )
            )
            start = q + 1
        return tuple(items)

    def _money(self, text: str) -> Money | None:
        return parse_money(text, self.formats) if len(text) < 40 else None

    def _actions(self, others: OtherOrders) -> frozenset[PortalAction]:
        """The order's controls the page shows, by their text (buttons, links, div buttons).

        A label shown only as plain text (a "Free return" tag on an item) is no control:
        it must be a button or link, or look clickable (a pointer cursor).
        """
        scores = offered(self.page, list(self.profile.actions), outside=others.cards)
        return frozenset(
            act for label, act in self.profile.actions.items() if scores.get(label, 0) >= 2
        )

    def _coupons(self, text: str, currency: str) -> tuple[Coupon, ...]:
        coupons = []
        rows: tuple[tuple[LabelKey, CouponKind], ...] = (
            ("platform_coupon", CouponKind.PLATFORM),
            ("seller_coupon", CouponKind.SELLER),
            ("promo_code", CouponKind.PROMO_CODE),
        )
        for key, kind in rows:
            amount = parse_money(row_value(text, self.labels(key)) or "", self.formats)
            if amount is not None:
                money = Money(amount=amount.amount, currency=currency)
                coupons.append(Coupon(kind=kind, amount=money))
        return tuple(coupons)

    def _cancellation(
        self, status: OrderStatus, text: str, now: datetime, fallback: datetime
    ) -> CancellationRequest | None:
        if status is OrderStatus.CANCELLATION_REQUESTED:
            left = None
            for row in lines(text):
                if self._says(row, "seller_has"):
                    left = parse_duration(row, self.formats)
                    break
            deadline = now + left if left else None
            requested = (deadline - timedelta(days=SELLER_ANSWER_DAYS)) if deadline else fallback
            return CancellationRequest(
                requested_at=max(requested, fallback), seller_deadline=deadline
            )
        if status is OrderStatus.CANCELLATION_REJECTED:
            return CancellationRequest(requested_at=fallback, answer=CancellationAnswer.REJECTED)
        return None

    def _cancelled_by(self, text: str) -> CancelledBy:
        if self._says(text, "by_seller"):
            return CancelledBy.SELLER
        if self._says(text, "by_platform"):
            return CancelledBy.PLATFORM
        return CancelledBy.BUYER

    @staticmethod
    def _shipment(status: OrderStatus) -> Shipment | None:
        if status is OrderStatus.SHIPMENT_CANCELED:
            return Shipment(shipment_canceled=True)
        if status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
            return Shipment()
        return None


def _first_done(refund: RefundProgress | None) -> datetime | None:
    if refund is None or not refund.steps[0].done:
        return None
    return refund.steps[0].date
