"""The policy's rules once an order has left the seller: shipped, shipment canceled, closed.

Part of ``assistant.domain.policy`` (split for size); each function returns the actions, the case
status they lead to and when to look again.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from assistant.domain.models import (
    Action,
    ActionKind,
    AdviceKind,
    CancellationAnswer,
    CaseStatus,
    MessageTemplateId,
    PortalAction,
)
from assistant.domain.policy_context import Ctx, Result, advise, at, check, nothing, wait
from assistant.domain.workdays import (
    REFUND_LIMIT_WORKING_DAYS,
    SHIPMENT_CANCEL_ANSWER,
    add_working_days,
    working_days_between,
)


def shipped(ctx: Ctx) -> Result:
    order = ctx.order
    never = "Shipped orders are never cancelled (rule 1)."
    request = order.cancellation
    if ctx.history.rejection_seen_at is not None or (
        request is not None and request.answer is CancellationAnswer.REJECTED
    ):
        never = f"The seller rejected the cancellation and shipped anyway. {never}"
    free = PortalAction.FREE_RETURN in order.actions or any(i.free_return for i in order.items)
    if free and not ctx.fraud:
        why = f"{never} This order offers a free return."
        text = "Accept the delivery, then use 'Free return' for a refund."
        action = advise(AdviceKind.FREE_RETURN, text, "shipped.free_return", why)
        return [action], CaseStatus.NEEDS_USER, None
    actions: list[Action] = []
    template = MessageTemplateId.CHANGE_ORDER if ctx.change else MessageTemplateId.SHIPPED
    if not ctx.fraud and ctx.sent(template) is None:
        why = f"{never} Ask the seller how to return it (rule 4)."
        actions.append(ctx.message(template, "shipped.message", why))
    delivered_at = order.shipment.delivered_at if order.shipment else None
    delivered = delivered_at is not None and delivered_at <= ctx.now
    if delivered:
        text = "The order was delivered: open a dispute to return it or get the money back."
    else:
        text = (
            "After delivery, open a dispute if the seller does not help; a dispute opened "
            "only to cancel will not help before delivery."
        )
    why = f"{never} Without a free return, the way out is the seller or a dispute."
    actions.append(advise(AdviceKind.DISPUTE, text, "shipped.dispute", why))
    return actions, CaseStatus.NEEDS_USER, None


def shipment_canceled(ctx: Ctx) -> Result:
    order, now = ctx.order, ctx.now
    if ctx.fraud:
        why = "The shipment was canceled and the user says the seller is a fraud."
        text = f"Open a dispute for order {order.order_id} (attach a tracking screenshot)."
        action = advise(AdviceKind.DISPUTE, text, "shipment_canceled.fraud", why)
        return [action], CaseStatus.NEEDS_USER, None
    sent = ctx.sent(MessageTemplateId.SHIPMENT_CANCELED)
    not_fault = "The shipment was canceled, which is not the buyer's fault."
    if sent is None:
        answer_by = now + SHIPMENT_CANCEL_ANSWER
        why = f"{not_fault} Ask the seller for a new tracking number or the money back (rule 4)."
        actions = [
            ctx.message(MessageTemplateId.SHIPMENT_CANCELED, "shipment_canceled.message", why),
            wait(answer_by, "shipment_canceled.wait", "Sellers usually answer within a week."),
        ]
        return actions, CaseStatus.WAITING_SELLER, answer_by
    answer_by = sent + SHIPMENT_CANCEL_ANSWER
    if ctx.seller_replied_since(sent):
        why = f"{not_fault} The seller answered our message: a person should read it."
        text = "Read the seller's answer; if they refuse a new tracking number or refund, dispute."
        action = advise(AdviceKind.CONTACT_SELLER, text, "shipment_canceled.answered", why)
        return [action], CaseStatus.NEEDS_USER, None
    if now >= answer_by:
        why = f"{not_fault} No answer a week after our message ({at(sent)})."
        text = f"Open a dispute for order {order.order_id}; compensation is almost certain."
        action = advise(AdviceKind.DISPUTE, text, "shipment_canceled.dispute", why)
        return [action], CaseStatus.NEEDS_USER, None
    why = f"{not_fault} Message sent {at(sent)} (once); sellers usually answer within a week."
    actions = [
        check("shipment_canceled.check", why, answer_by),
        wait(answer_by, "shipment_canceled.wait", why),
    ]
    return actions, CaseStatus.WAITING_SELLER, answer_by


def closed(ctx: Ctx) -> Result:
    order, now = ctx.order, ctx.now
    by = f" (cancelled by the {order.cancelled_by})" if order.cancelled_by else ""
    if order.refund is not None and order.refund.finished:
        why = f"The order is closed{by} and all three refund steps are done."
        return [nothing("closed.refunded", why)], CaseStatus.DONE_REFUNDED, None
    if order.paid_at is None and order.refund is None:
        why = f"The order is closed{by} and was never paid: nothing to refund."
        return [nothing("closed.unpaid", why)], CaseStatus.DONE_CANCELLED, None
    closed_at = order.closed_at
    if closed_at is None:
        why = f"The order is closed{by}: follow the refund (its closing date is unknown)."
        action = Action(kind=ActionKind.POLL_REFUND, rule="closed.poll", why=why)
        return [action], CaseStatus.WAITING_REFUND, None
    zone = ZoneInfo(ctx.prefs.timezone)
    limit = add_working_days(closed_at, REFUND_LIMIT_WORKING_DAYS, zone)
    if now >= limit:
        passed = working_days_between(closed_at, now, zone)
        why = (
            f"The refund is overdue: {passed} working days since the closing ({at(closed_at)}); "
            f"the official limit of {REFUND_LIMIT_WORKING_DAYS} working days ended {at(limit)}."
        )
        text = f"Contact support or open a dispute for the refund of order {order.order_id}."
        actions = [
            Action(kind=ActionKind.POLL_REFUND, rule="closed.poll", why=why),
            advise(AdviceKind.SUPPORT, text, "closed.refund_overdue", why),
        ]
        return actions, CaseStatus.NEEDS_USER, None
    why = (
        f"The order is closed{by}: the refund usually takes 1-10 days, officially up to "
        f"{REFUND_LIMIT_WORKING_DAYS} working days (until {at(limit)})."
    )
    action = Action(kind=ActionKind.POLL_REFUND, rule="closed.poll", why=why)
    return [action], CaseStatus.WAITING_REFUND, limit
