"""Cancel an order, or request its cancellation, exactly once, and verify the result.

Before anything is confirmed the page must show the order asked for; a pending request
already on the page means nothing is submitted again. ``before_submit`` runs right before
the click that changes the order, so the journal can record the attempt first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from playwright.sync_api import Page
from pydantic import BaseModel, ConfigDict

from assistant.domain.errors import NotCancellableError, PortalChangedError
from assistant.domain.models import Order, OrderStatus
from assistant.domain.reasons import match_offered
from flows.order_page import OrderPage
from flows.profile import PortalProfile, any_of

log = logging.getLogger(__name__)

#: States in which a cancellation (instant or request) has already happened.
ALREADY_DONE = frozenset({OrderStatus.CANCELLATION_REQUESTED, OrderStatus.CLOSED})
#: States cancelled by "Submit" alone, with no report question (a verifying payment
#: already shows a payment time, so ``paid_at`` cannot tell).
INSTANT_CANCEL = frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.PAYMENT_VERIFYING})


class CancelResult(BaseModel):
    """What the cancel flow did and the order as read back afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: str
    submitted: bool
    reason: str | None
    report_supplier: bool | None
    order: Order


def _noop(_: dict[str, object]) -> None:
    return None


def cancel_order(
    page: Page,
    profile: PortalProfile,
    order_id: str,
    *,
    reasons: Sequence[str],
    report_supplier: bool,
    now: datetime,
    before_submit: Callable[[dict[str, object]], None] = _noop,
) -> CancelResult:
    """On the order's detail page: cancel it (unpaid) or request its cancellation (paid)."""
    order_page = OrderPage(page, profile)
    before = order_page.read(order_id, now, with_refund=False)
    if before.status in ALREADY_DONE:
        log.info("order %s is already %s: nothing submitted", order_id, before.status)
        return CancelResult(
            order_id=order_id, submitted=False, reason=None, report_supplier=None, order=before
        )
    if not order_page.cancel_button.count():
        raise NotCancellableError(
            f'the portal offers no "Cancel order" in state {before.status_label!r}',
            order_id=order_id,
            url=page.url,
        )
    order_page.cancel_button.first.click()
    dialog = page.get_by_role("dialog", name=profile.exact("cancel_dialog"))
    request = dialog.get_by_role("button", name=profile.exact("request_cancellation"))
    picker = dialog.get_by_label(profile.exact("reason_picker"))
    request.or_(picker).first.wait_for()
    if request.is_visible():
        request.click()
    offered = [o.strip() for o in picker.get_by_role("option").all_inner_texts()]
    reason = match_offered(offered, reasons)
    if reason is None:
        raise PortalChangedError(
            f"none of the acceptable reasons is offered; the portal offers {offered}",
            order_id=order_id,
            url=page.url,
            fix="add one of the offered reasons to preferred_reasons, or pass --reason",
        )
    picker.select_option(label=reason)
    question = dialog.get_by_text(profile.exact("report_question"))
    answer_name = profile.exact("yes" if report_supplier else "no")
    paid = before.status not in INSTANT_CANCEL
    details: dict[str, object] = {"reason": reason, "report_supplier": report_supplier}
    if not paid:
        before_submit(details)
    dialog.get_by_role("button", name=profile.exact("submit")).click()
    if paid:
        question.wait_for()
        before_submit(details)
        dialog.get_by_role("button", name=answer_name).click()
    done_labels = [label for label, state in profile.statuses.items() if state in ALREADY_DONE]
    done = order_page.status_block.get_by_role("heading", name=any_of(done_labels, re.IGNORECASE))
    done.or_(page.get_by_role("alert")).first.wait_for()
    after = OrderPage(page, profile).read(order_id, now, with_refund=False)
    if after.status not in ALREADY_DONE:
        alert = page.get_by_role("alert")
        said = alert.first.inner_text().strip() if alert.count() else "no message"
        raise PortalChangedError(
            f"after submitting, the order is still {after.status_label!r} (portal said: {said})",
            order_id=order_id,
            url=page.url,
        )
    return CancelResult(
        order_id=order_id,
        submitted=True,
        reason=reason,
        report_supplier=report_supplier if paid else None,
        order=after,
    )
