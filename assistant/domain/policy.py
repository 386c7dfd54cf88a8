"""The decision policy: what to do with one order now, and why.

``decide`` turns what the portal shows (an ``Order``), what the user wants (an ``Intent``)
and what earlier runs did (a ``CaseHistory``) into a ``Plan``. It is pure and
deterministic (no browser, no clock: ``now`` is an argument), so every rule of DOMAIN.md
can be tested as a table, and every action carries the rule that justifies it in plain
words (``Action.why``) plus a short rule id (``Action.rule``) for tests and the journal.
"""

from __future__ import annotations

from datetime import datetime

from assistant.domain.coupons import coupon_outcomes
from assistant.domain.models import (
    Action,
    ActionKind,
    AdviceKind,
    CancellationAnswer,
    CaseHistory,
    CaseStatus,
    CouponOutcome,
    Intent,
    MessageTemplateId,
    Order,
    OrderStatus,
    Plan,
    PortalAction,
    Preferences,
)
from assistant.domain.policy_after import closed, shipment_canceled, shipped
from assistant.domain.policy_context import Ctx, Result, advise, at, check, nothing, wait
from assistant.domain.workdays import (
    CANCEL_BUTTON_DELAY,
    CANCEL_BUTTON_RETRY,
    DEADLINE_GRACE,
    SELLER_ANSWER_DEADLINE,
    UNPAID_AUTO_CLOSE,
)


def decide(
    order: Order,
    intent: Intent,
    history: CaseHistory | None,
    now: datetime,
    preferences: Preferences | None = None,
) -> Plan:
    """Decide what to do with ``order`` at ``now`` (aware) for ``intent``.

    Pure and deterministic: the same inputs always give the same plan. ``history`` is what
    earlier runs did and saw (``None`` = first run); ``preferences`` default to the
    non-penalising reasons and the default message templates.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    ctx = Ctx(order, intent, history or CaseHistory(), now, preferences or Preferences())
    actions, case, next_check = _route(ctx)
    coupons: tuple[CouponOutcome, ...] = ()
    if order.status is OrderStatus.CLOSED:
        coupons = coupon_outcomes(order, now)
    elif any(a.kind in (ActionKind.CANCEL_NOW, ActionKind.REQUEST_CANCELLATION) for a in actions):
        coupons = coupon_outcomes(order, now, cancelled=range(len(order.items)))
    return Plan(
        order_id=order.order_id,
        status=order.status,
        intent=intent.kind,
        decided_at=now,
        actions=tuple(actions),
        case_status=case,
        next_check_at=next_check,
        coupons=coupons,
    )


def _route(ctx: Ctx) -> Result:
    order = ctx.order
    status = order.status
    request = order.cancellation
    if status is OrderStatus.UNKNOWN:
        return _unknown(ctx)
    if status is OrderStatus.COMPLETED:
        why = "Completed orders have nothing to cancel (rule 1); return/dispute windows apply."
        return [nothing("completed", why)], CaseStatus.NOTHING_TO_DO, None
    if status is OrderStatus.CLOSED:
        return closed(ctx)
    if order.shipment_canceled:
        return shipment_canceled(ctx)
    if status is OrderStatus.SHIPPED:
        return shipped(ctx)
    if status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAYMENT_VERIFYING):
        return _unpaid(ctx)
    if ctx.change:
        return _change_before_shipping(ctx)
    rejected = request is not None and request.answer is CancellationAnswer.REJECTED
    if status is OrderStatus.CANCELLATION_REJECTED or rejected:
        return _rejected(ctx)
    if _request_gone(ctx):
        return _rejected(ctx, gone=True)
    if (
        status is OrderStatus.CANCELLATION_REQUESTED
        or request is not None
        or ctx.history.request_submitted_at is not None
    ):
        return _pending(ctx)
    return _awaiting_shipment(ctx)


def _unknown(ctx: Ctx) -> Result:
    label = ctx.order.status_label or "(none)"
    why = f"The status label {label!r} is not one we know; the assistant never guesses."
    text = f"Open order {ctx.order.order_id} and check its state yourself."
    return [advise(AdviceKind.CHECK_MANUALLY, text, "unknown", why)], CaseStatus.NEEDS_USER, None


def _no_reason(ctx: Ctx) -> Result:
    why = "Every configured reason blames the seller, which is only allowed for fraud (rule 2)."
    text = "Configure a reason that does not blame the seller (e.g. 'Other reason(s)')."
    return [advise(AdviceKind.CHECK_MANUALLY, text, "no_reason", why)], CaseStatus.NEEDS_USER, None


def _unpaid(ctx: Ctx) -> Result:
    order, now = ctx.order, ctx.now
    if ctx.change:
        why = "An order cannot be changed (rule 6); an unpaid one can be cancelled at no cost."
        text = "Cancel this unpaid order (intent 'cancel') and place a new one with the change."
        return (
            [advise(AdviceKind.REORDER, text, "change.unpaid", why)],
            CaseStatus.NEEDS_USER,
            None,
        )
    if not ctx.reasons:
        return _no_reason(ctx)
    if order.status is OrderStatus.AWAITING_PAYMENT:
        closes = order.placed_at + UNPAID_AUTO_CLOSE
        if now >= closes and PortalAction.CANCEL not in order.actions:
            why = (
                f"Unpaid orders close by themselves after 20 days; placed {at(order.placed_at)}, "
                f"so it closed on {at(closes)} and there is nothing to cancel."
            )
            return [nothing("unpaid.auto_closed", why)], CaseStatus.DONE_CANCELLED, None
        why = "Unpaid orders cancel at once: no seller decision, no penalty to anyone."
        case = CaseStatus.DONE_CANCELLED
        rule = "unpaid.cancel_now"
    else:
        why = (
            "While the payment is being verified the order cancels at once, with no seller "
            "decision; the platform takes the payment first and refunds it within days."
        )
        case = CaseStatus.WAITING_REFUND
        rule = "verifying.cancel_now"
    action = Action(
        kind=ActionKind.CANCEL_NOW,
        rule=rule,
        why=why,
        reason=ctx.reasons[0],
        reason_candidates=ctx.reasons,
    )
    return [action], case, None


def _request(ctx: Ctx) -> Action:
    report = "Yes" if ctx.fraud else "No"
    why = (
        "Awaiting shipment: a paid order is cancelled by a request the seller must accept; "
        f"reason that does not penalise the seller (rule 2), report against the supplier "
        f"'{report}' (rule 3: 'Yes' only when the user says the seller is a fraud)."
    )
    return Action(
        kind=ActionKind.REQUEST_CANCELLATION,
        rule="awaiting_shipment.request",
        why=why,
        reason=ctx.reasons[0],
        reason_candidates=ctx.reasons,
        report_supplier=ctx.fraud,
    )


def _fraud_dispute(rule: str, why: str) -> Action:
    text = "Answering 'Yes' to the report opens a dispute: follow it in 'Refunds & disputes'."
    return advise(AdviceKind.DISPUTE, text, rule, why)


def _awaiting_shipment(ctx: Ctx) -> Result:
    order, now = ctx.order, ctx.now
    if not ctx.reasons:
        return _no_reason(ctx)
    if PortalAction.CANCEL in order.actions:
        actions = [_request(ctx)]
        if ctx.fraud:
            why = "The user says the seller is a fraud: the report opens a dispute (rule 3)."
            actions.append(_fraud_dispute("fraud.dispute", why))
        elif ctx.sent(MessageTemplateId.CANCEL_REQUEST) is None:
            why = "The seller must consent: say why and ask them to accept and not ship (rule 4)."
            actions.append(ctx.message(MessageTemplateId.CANCEL_REQUEST, "request.message", why))
        return actions, CaseStatus.WAITING_SELLER, now + SELLER_ANSWER_DEADLINE
    actions = []
    paid = order.paid_at or order.placed_at
    due = paid + CANCEL_BUTTON_DELAY
    told = ctx.sent(MessageTemplateId.DONT_SHIP) or ctx.sent(MessageTemplateId.CANCEL_REQUEST)
    if not ctx.fraud and told is None:
        why = (
            "No 'Cancel order' button yet: tell the seller now not to ship, because the "
            "longer an order waits the more likely it ships (rules 4 and 5)."
        )
        actions.append(ctx.message(MessageTemplateId.DONT_SHIP, "button.dont_ship", why))
    if now < due:
        why = (
            f"The 'Cancel order' button appears 24 hours after payment (paid {at(paid)}): "
            f"request the cancellation at {at(due)} (rule 5: retry at the next run)."
        )
        actions.append(wait(due, "button.wait_24h", why))
        return actions, CaseStatus.WAITING_CANCEL_BUTTON, due
    retry = now + CANCEL_BUTTON_RETRY
    why = (
        f"The 'Cancel order' button was due at {at(due)} (24 hours after payment) but is not "
        "offered yet: look again at the next run (rule 5)."
    )
    actions.append(wait(retry, "button.retry", why))
    return actions, CaseStatus.WAITING_CANCEL_BUTTON, retry


def _pending(ctx: Ctx) -> Result:
    order, now = ctx.order, ctx.now
    request = order.cancellation
    if request is not None and request.answer is CancellationAnswer.ACCEPTED:
        why = "The seller accepted the cancellation: the order closes and the refund follows."
        action = Action(kind=ActionKind.POLL_REFUND, rule="request.accepted", why=why)
        return [action], CaseStatus.WAITING_REFUND, None
    requested = request.requested_at if request else ctx.history.request_submitted_at
    deadline = request.deadline if request else None
    if deadline is None and requested is not None:
        deadline = requested + SELLER_ANSWER_DEADLINE
    actions: list[Action] = []
    if not ctx.fraud and ctx.sent(MessageTemplateId.CANCEL_REQUEST) is None:
        why = "A request needs the seller's consent: ask them to accept and not ship (rule 4)."
        actions.append(ctx.message(MessageTemplateId.CANCEL_REQUEST, "pending.message", why))
    never_twice = "A request is already pending: a second one would be a mistake."
    if deadline is None:
        why = f"{never_twice} Its date is unknown, so just check the seller's answer."
        actions.append(check("pending.check", why))
        return actions, CaseStatus.WAITING_SELLER, None
    if now < deadline:
        why = (
            f"{never_twice} The seller has 15 days to answer, until {at(deadline)}; "
            "silence counts as accepted."
        )
        actions.append(check("pending.check", why, deadline))
        actions.append(wait(deadline, "pending.wait_deadline", why))
        return actions, CaseStatus.WAITING_SELLER, deadline
    if now < deadline + DEADLINE_GRACE:
        why = (
            f"The seller's 15 days ended at {at(deadline)}: silence counts as accepted, so "
            "the order should close; check again."
        )
        actions.append(check("pending.after_deadline", why))
        return actions, CaseStatus.WAITING_SELLER, deadline + DEADLINE_GRACE
    why = (
        f"The seller's 15 days ended at {at(deadline)} and the request still shows as "
        "pending, although silence should have closed it in the buyer's favour."
    )
    text = f"Contact the platform's support about order {order.order_id}."
    actions.append(advise(AdviceKind.SUPPORT, text, "pending.stuck", why))
    return actions, CaseStatus.NEEDS_USER, None


def _request_gone(ctx: Ctx) -> bool:
    """Our confirmed request is no longer on the portal: the order is back to awaiting
    shipment with "Cancel order" offered and nothing pending. That is a rejection without
    a note, or a request the portal dropped; the portal wins over the journal's belief."""
    order = ctx.order
    return (
        order.status is OrderStatus.AWAITING_SHIPMENT
        and order.cancellation is None
        and ctx.history.request_submitted_at is not None
        and PortalAction.CANCEL in order.actions
    )


def _rejected(ctx: Ctx, *, gone: bool = False) -> Result:
    """The seller said no (or, ``gone``, the portal no longer shows our request)."""
    what = (
        "The portal no longer shows our cancellation request (rejected without a note, or "
        "dropped): the order is back to awaiting shipment."
        if gone
        else "The seller rejected the cancellation."
    )
    if ctx.fraud:
        why = f"{what} The user says the seller is a fraud."
        text = "Open a dispute (or report the seller) in 'Refunds & disputes'."
        return (
            [advise(AdviceKind.DISPUTE, text, "rejected.fraud", why)],
            CaseStatus.NEEDS_USER,
            None,
        )
    sent = ctx.sent(MessageTemplateId.AFTER_REJECTION)
    if sent is None:
        why = (
            f"{what} Negotiate at once and ask the seller not to ship; if it ships anyway "
            "the way out is a return or a dispute, not a second cancellation request."
        )
        action = ctx.message(MessageTemplateId.AFTER_REJECTION, "rejected.message", why)
        text = (
            f"{what} We asked the seller not to ship. If the order ships anyway, return it "
            "(free return if offered) or open a dispute after delivery."
        )
        advice = advise(AdviceKind.DISPUTE, text, "rejected.advice", why)
        return [action, advice], CaseStatus.WAITING_SELLER, None
    if ctx.seller_replied_since(sent):
        why = "The seller answered our message after the rejection: a person should read it."
        text = f"Read the seller's answer about order {ctx.order.order_id} and reply."
        action = advise(AdviceKind.CONTACT_SELLER, text, "rejected.answered", why)
        return [action], CaseStatus.NEEDS_USER, None
    why = (
        f"Already asked the seller not to ship ({at(sent)}), only once: check their answer. "
        "If it ships, the way out is a return or a dispute."
    )
    return [check("rejected.check", why)], CaseStatus.WAITING_SELLER, None


def _change_before_shipping(ctx: Ctx) -> Result:
    sent = ctx.sent(MessageTemplateId.CHANGE_ORDER)
    reorder = advise(
        AdviceKind.REORDER,
        "If the seller cannot make the change, cancel the order and place a new one.",
        "change.reorder",
        "An order cannot be changed on the portal (rule 6): cancel and order again.",
    )
    if sent is None:
        why = "An order cannot be changed (rule 6): message the seller with the change."
        action = ctx.message(MessageTemplateId.CHANGE_ORDER, "change.message", why)
        return [action, reorder], CaseStatus.WAITING_SELLER, None
    if ctx.seller_replied_since(sent):
        why = "The seller answered the change request: a person should read it."
        text = f"Read the seller's answer about order {ctx.order.order_id}."
        action = advise(AdviceKind.CONTACT_SELLER, text, "change.answered", why)
        return [action], CaseStatus.NEEDS_USER, None
    why = f"The change was sent to the seller at {at(sent)} (once): check their answer."
    return [check("change.check", why), reorder], CaseStatus.WAITING_SELLER, None
