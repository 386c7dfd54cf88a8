"""Cancel an order, or request its cancellation, exactly once, and verify the result.

Before anything is confirmed the page must show the order asked for; a pending request
already on the page means nothing is submitted again. ``before_submit`` runs right before
the click that changes the order, so the journal can record the attempt first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pydantic import BaseModel, ConfigDict

from assistant.domain.errors import NotCancellableError, PortalChangedError
from assistant.domain.models import Order, OrderStatus
from assistant.domain.reasons import match_offered
from flows.controls import box_with, controls, shown
from flows.order_page import OrderPage
from flows.profile import LabelKey, PortalProfile
from flows.texts import pattern

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
    read: Order | None = None,
) -> CancelResult:
    """On the order's detail page: cancel it (unpaid) or request its cancellation (paid).

    The modal is found by the texts it shows. Every control of it that changes the order
    ("Request order cancellation", the reason, "Submit", "No"/"Yes") must be found exactly
    once, or nothing more is clicked: a ``PortalChangedError`` names the step and the
    texts looked for. ``read``: the order as just read from this very page (not loaded
    again since), so the page is not read a second time for the same decision.
    """
    order_page = OrderPage(page, profile, order_id)
    if read is not None and read.order_id == order_id:
        before = read
    else:
        before = order_page.read(order_id, now, with_refund=False)
    if before.status in ALREADY_DONE:
        log.info("order %s is already %s: nothing submitted", order_id, before.status)
        return CancelResult(
            order_id=order_id, submitted=False, reason=None, report_supplier=None, order=before
        )
    button = order_page.cancel_button
    if button is None:
        raise NotCancellableError(
            f'the portal offers no "Cancel order" in state {before.status_label!r}',
            order_id=order_id,
            url=page.url,
        )
    button.click()
    modal = Modal(page, profile, order_id)
    request = shown(page, profile.texts("request_cancellation"))
    native = page.get_by_role("combobox", name=profile.exact("reason_picker"))
    picker = shown(page, profile.texts("reason_picker"))
    modal.wait("open the cancel dialog", request.first.or_(picker.first).or_(native))
    log.info("order %s: cancel dialog: opened", order_id)
    if request.first.is_visible():
        modal.click("request the cancellation", "request_cancellation")
        modal.wait("the reason picker", picker.first.or_(native))
        log.info("order %s: cancel dialog: cancellation requested", order_id)
    reason = modal.choose_reason(reasons, native)
    log.info("order %s: cancel dialog: reason chosen", order_id)
    paid = before.status not in INSTANT_CANCEL
    details: dict[str, object] = {"reason": reason, "report_supplier": report_supplier}
    submit = modal.find("submit the cancellation", "submit", near=modal.chosen)
    if not paid:
        before_submit(details)
    submit.click()
    if paid:
        question = page.get_by_text(profile.contains("report_question")).filter(visible=True)
        modal.wait("the report question", question.first)
        log.info("order %s: cancel dialog: report question shown", order_id)
        answer = modal.find(
            "answer the report question", "yes" if report_supplier else "no", near=question
        )
        before_submit(details)
        answer.click()
    done_labels = [label for label, state in profile.statuses.items() if state in ALREADY_DONE]
    done = page.get_by_text(pattern(done_labels)).filter(visible=True)
    refused = page.get_by_role("alert").or_(page.get_by_text(profile.contains("already_pending")))
    done.first.or_(refused.first).wait_for()
    after = OrderPage(page, profile, order_id).read(order_id, now, with_refund=False)
    if after.status not in ALREADY_DONE:
        said = refused.first.inner_text().strip() if refused.count() else "no message"
        raise PortalChangedError(
            f"after submitting, the order is still {after.status_label!r} (portal said: {said})",
            order_id=order_id,
            url=page.url,
        )
    return CancelResult(
        order_id=order_id,
        submitted=True,
        reason=profile.english_reason(reason),
        report_supplier=report_supplier if paid else None,
        order=after,
    )


class Modal:
    """The open cancel dialog, found by its texts; every control must be unambiguous.

    "Submit" and "No" are looked for next to the step they answer (the chosen reason, the
    report question): a store or a product named "Submit" or "No" elsewhere on the page
    is no control of the dialog.
    """

    def __init__(self, page: Page, profile: PortalProfile, order_id: str) -> None:
        self.page = page
        self.profile = profile
        self.order_id = order_id
        #: What shows the chosen reason (the picker), once chosen.
        self.chosen: Locator | None = None

    def changed(self, step: str, looked_for: Sequence[str], found: str) -> PortalChangedError:
        wanted = " / ".join(repr(t) for t in looked_for)
        return PortalChangedError(
            f"cancel dialog, step {step!r}: {wanted} did not appear unambiguously ({found}); "
            "nothing was submitted",
            order_id=self.order_id,
            url=self.page.url,
            fix="the page no longer matches the flows: check the portal profile's labels",
        )

    def wait(self, step: str, what: Locator) -> None:
        try:
            what.first.wait_for()
        except PlaywrightTimeoutError:
            raise self.changed(step, [str(what)], "not shown") from None

    def find(self, step: str, key: LabelKey, near: Locator | None = None) -> Locator:
        """The one visible control reading the label (in the smallest box also holding
        ``near``, when given), or a "portal changed" error."""
        texts = self.profile.texts(key)
        scope = self.page if near is None else box_with(self.page, near, shown(self.page, texts))
        try:
            shown(scope, texts).filter(visible=True).first.wait_for()
        except PlaywrightTimeoutError:
            raise self.changed(step, texts, "none found") from None
        found = controls(scope, texts)
        if len(found) != 1:
            raise self.changed(step, texts, f"{len(found)} found")
        return found[0]

    def click(self, step: str, key: LabelKey) -> None:
        self.find(step, key).click()

    def choose_reason(self, reasons: Sequence[str], native: Locator) -> str:
        """Pick the first acceptable reason the picker offers; its label as shown."""
        wanted = self.profile.local_reasons(reasons)
        if native.count() and native.first.is_visible():
            # An accessible portal's native <select>: one way among others, not required.
            offered = [o.strip() for o in native.first.get_by_role("option").all_inner_texts()]
            reason = match_offered(offered, wanted)
            if reason is None:
                raise self._no_reason(wanted, offered)
            native.first.select_option(label=reason)
            self.chosen = native.first
            return reason
        self.click("open the reason picker", "reason_picker")
        for label in wanted:
            options = self.page.get_by_text(pattern([label])).filter(visible=True)
            count = options.count()
            if count > 1:
                raise self.changed("choose the reason", [label], f"{count} found")
            if count == 1:
                chosen = " ".join(options.inner_text().split())
                options.click()
                # The picker now reads the reason (the list under <body> is gone).
                self.chosen = self.page.get_by_text(pattern([chosen])).filter(visible=True)
                return chosen
        raise self._no_reason(wanted, None)

    def _no_reason(self, wanted: Sequence[str], offered: list[str] | None) -> PortalChangedError:
        shown_list = f"; the portal offers {offered}" if offered is not None else ""
        return PortalChangedError(
            f"none of the acceptable reasons is offered (looked for {list(wanted)}){shown_list}",
            order_id=self.order_id,
            url=self.page.url,
            fix="add one of the offered reasons to preferred_reasons, or pass --reason",
        )
