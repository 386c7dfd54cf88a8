"""Boundary tests for every number of DOMAIN.md, and the rules that depend on history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from policy_factories import NOW, ORDER_ID, history, intent, order, sent

from assistant.domain.models import (
    ActionKind,
    AdviceKind,
    CancellationAnswer,
    CancellationRequest,
    CaseStatus,
    HistoryKind,
    Intent,
    IntentKind,
    MessageTemplateId,
    Money,
    Order,
    OrderItem,
    OrderStatus,
    PortalAction,
    Preferences,
    RefundProgress,
    RefundStep,
    Shipment,
)
from assistant.domain.policy import decide

A = ActionKind
M = MessageTemplateId
SECOND = timedelta(seconds=1)
CANCEL_BUTTON = frozenset({PortalAction.CANCEL, PortalAction.CONTACT_SELLER})
NO_BUTTON = frozenset({PortalAction.CONTACT_SELLER})


# --- 20 days: unpaid orders close by themselves ------------------------------------------


def test_unpaid_just_before_20_days_is_cancelled_now() -> None:
    o = order(OrderStatus.AWAITING_PAYMENT, placed_at=NOW - timedelta(days=20) + SECOND)
    plan = decide(o, intent(), None, NOW)
    assert plan.kinds == (A.CANCEL_NOW,)
    assert plan.actions[0].reason_candidates[0] == "I ordered the wrong product(s)"


def test_unpaid_at_20_days_without_button_closed_by_itself() -> None:
    o = order(
        OrderStatus.AWAITING_PAYMENT,
        placed_at=NOW - timedelta(days=20),
        actions=frozenset({PortalAction.ADD_TO_CART}),
    )
    plan = decide(o, intent(), None, NOW)
    assert plan.kinds == (A.NOTHING,)
    assert plan.case_status is CaseStatus.DONE_CANCELLED
    assert "20 days" in plan.actions[0].why


def test_unpaid_after_20_days_still_cancelled_if_portal_offers_it() -> None:
    o = order(
        OrderStatus.AWAITING_PAYMENT,
        placed_at=NOW - timedelta(days=25),
        actions=frozenset({PortalAction.CANCEL}),
    )
    assert decide(o, intent(), None, NOW).kinds == (A.CANCEL_NOW,)


# --- 24 hours: the cancel button after payment --------------------------------------------


def test_no_button_before_24_hours_messages_and_waits_until_due() -> None:
    paid = NOW - timedelta(hours=24) + SECOND
    o = order(OrderStatus.AWAITING_SHIPMENT, placed_at=paid, paid_at=paid, actions=NO_BUTTON)
    plan = decide(o, intent(), None, NOW)
    assert plan.kinds == (A.MESSAGE_SELLER, A.WAIT)
    assert plan.actions[0].template_id is M.DONT_SHIP
    assert plan.actions[1].wait_until == paid + timedelta(hours=24)
    assert plan.case_status is CaseStatus.WAITING_CANCEL_BUTTON
    assert plan.next_check_at == paid + timedelta(hours=24)


def test_no_button_at_24_hours_retries_later() -> None:
    paid = NOW - timedelta(hours=24)
    o = order(OrderStatus.AWAITING_SHIPMENT, placed_at=paid, paid_at=paid, actions=NO_BUTTON)
    plan = decide(o, intent(), None, NOW)
    assert plan.kinds == (A.MESSAGE_SELLER, A.WAIT)
    assert plan.actions[1].rule == "button.retry"
    assert plan.actions[1].wait_until == NOW + timedelta(hours=6)


def test_dont_ship_message_is_sent_only_once() -> None:
    paid = NOW - timedelta(hours=2)
    o = order(OrderStatus.AWAITING_SHIPMENT, placed_at=paid, paid_at=paid, actions=NO_BUTTON)
    h = history(sent(M.DONT_SHIP, paid + timedelta(minutes=5)))
    assert decide(o, intent(), h, NOW).kinds == (A.WAIT,)


def test_button_appears_then_request_without_repeating_the_message() -> None:
    paid = NOW - timedelta(hours=30)
    o = order(OrderStatus.AWAITING_SHIPMENT, placed_at=paid, paid_at=paid, actions=CANCEL_BUTTON)
    h = history(sent(M.CANCEL_REQUEST, paid + timedelta(minutes=5)))
    plan = decide(o, intent(), h, NOW)
    assert plan.kinds == (A.REQUEST_CANCELLATION,)
    assert plan.actions[0].report_supplier is False


def test_fraud_without_button_waits_without_messaging() -> None:
    paid = NOW - timedelta(hours=2)
    o = order(OrderStatus.AWAITING_SHIPMENT, placed_at=paid, paid_at=paid, actions=NO_BUTTON)
    assert decide(o, intent(IntentKind.FRAUD), None, NOW).kinds == (A.WAIT,)


# --- 15 days: the seller's deadline --------------------------------------------------------


def _requested(days_ago: timedelta) -> CancellationRequest:
    return CancellationRequest(requested_at=NOW - days_ago, reason="Other reason(s)")


def test_pending_before_deadline_checks_and_waits_for_deadline() -> None:
    req = _requested(timedelta(days=15) - SECOND)
    o = order(OrderStatus.CANCELLATION_REQUESTED, cancellation=req)
    h = history(sent(M.CANCEL_REQUEST, req.requested_at))
    plan = decide(o, intent(), h, NOW)
    assert plan.kinds == (A.CHECK_SELLER_ANSWER, A.WAIT)
    assert plan.actions[1].wait_until == req.requested_at + timedelta(days=15)
    assert plan.case_status is CaseStatus.WAITING_SELLER


def test_pending_at_deadline_silence_means_accepted_check_again() -> None:
    req = _requested(timedelta(days=15))
    o = order(OrderStatus.CANCELLATION_REQUESTED, cancellation=req)
    h = history(sent(M.CANCEL_REQUEST, req.requested_at))
    plan = decide(o, intent(), h, NOW)
    assert plan.kinds == (A.CHECK_SELLER_ANSWER,)
    assert "silence" in plan.actions[0].why


def test_pending_long_after_deadline_goes_to_support() -> None:
    req = _requested(timedelta(days=18))
    o = order(OrderStatus.CANCELLATION_REQUESTED, cancellation=req)
    h = history(sent(M.CANCEL_REQUEST, req.requested_at))
    plan = decide(o, intent(), h, NOW)
    assert plan.kinds == (A.ADVISE_USER,)
    assert plan.actions[0].advice is AdviceKind.SUPPORT


def test_portal_deadline_wins_over_computed_one() -> None:
    req = CancellationRequest(requested_at=NOW - timedelta(days=1), seller_deadline=NOW + SECOND)
    o = order(OrderStatus.CANCELLATION_REQUESTED, cancellation=req)
    h = history(sent(M.CANCEL_REQUEST, req.requested_at))
    assert decide(o, intent(), h, NOW).actions[1].wait_until == NOW + SECOND


def test_a_request_the_portal_no_longer_shows_is_over_and_never_repeated() -> None:
    # Our confirmed request is gone: "Cancel order" is offered again and nothing is
    # pending (a rejection without a note, or a request the portal dropped). The portal
    # wins: the case moves on as after a rejection instead of waiting out the 15 days.
    o = order(OrderStatus.AWAITING_SHIPMENT, actions=CANCEL_BUTTON)
    h = history(
        (HistoryKind.REQUEST_SUBMITTED, NOW - timedelta(hours=3), None),
        sent(M.CANCEL_REQUEST, NOW - timedelta(hours=3)),
    )
    plan = decide(o, intent(), h, NOW)
    assert plan.kinds == (A.MESSAGE_SELLER, A.ADVISE_USER)
    assert plan.actions[0].template_id is M.AFTER_REJECTION
    assert "no longer shows our cancellation request" in plan.actions[1].why
    assert plan.case_status is CaseStatus.WAITING_SELLER
    assert A.REQUEST_CANCELLATION not in plan.kinds and A.WAIT not in plan.kinds


def test_a_request_pending_on_the_page_is_waited_for() -> None:
    o = order(OrderStatus.CANCELLATION_REQUESTED)
    h = history(
        (HistoryKind.REQUEST_SUBMITTED, NOW - timedelta(hours=3), None),
        sent(M.CANCEL_REQUEST, NOW - timedelta(hours=3)),
    )
    plan = decide(o, intent(), h, NOW)
    assert plan.kinds == (A.CHECK_SELLER_ANSWER, A.WAIT)
    assert plan.actions[1].wait_until == NOW - timedelta(hours=3) + timedelta(days=15)


def test_accepted_request_follows_the_refund() -> None:
    req = CancellationRequest(
        requested_at=NOW - timedelta(days=2),
        answer=CancellationAnswer.ACCEPTED,
        answered_at=NOW - timedelta(days=1),
    )
    o = order(OrderStatus.AWAITING_SHIPMENT, cancellation=req, actions=CANCEL_BUTTON)
    plan = decide(o, intent(), None, NOW)
    assert plan.kinds == (A.POLL_REFUND,)


# --- rejection ------------------------------------------------------------------------------


def _rejected_order() -> Order:
    req = CancellationRequest(
        requested_at=NOW - timedelta(days=3),
        answer=CancellationAnswer.REJECTED,
        answered_at=NOW - timedelta(days=1),
    )
    return order(OrderStatus.AWAITING_SHIPMENT, cancellation=req, actions=CANCEL_BUTTON)


def test_rejection_seen_on_awaiting_shipment_messages_not_requests() -> None:
    plan = decide(_rejected_order(), intent(), None, NOW)
    assert plan.kinds == (A.MESSAGE_SELLER, A.ADVISE_USER)
    assert plan.actions[0].template_id is M.AFTER_REJECTION
    assert "dispute" in (plan.actions[1].advice_text or "")


def test_rejection_message_only_once_then_check() -> None:
    h = history(sent(M.AFTER_REJECTION, NOW - timedelta(hours=5)))
    plan = decide(_rejected_order(), intent(), h, NOW)
    assert plan.kinds == (A.CHECK_SELLER_ANSWER,)


def test_rejection_seller_answered_goes_to_user() -> None:
    h = history(
        sent(M.AFTER_REJECTION, NOW - timedelta(hours=5)),
        (HistoryKind.SELLER_MESSAGE_SEEN, NOW - timedelta(hours=1), None),
    )
    plan = decide(_rejected_order(), intent(), h, NOW)
    assert plan.kinds == (A.ADVISE_USER,)
    assert plan.actions[0].advice is AdviceKind.CONTACT_SELLER


# --- shipped ---------------------------------------------------------------------------------


def test_shipped_with_free_return_advises_it() -> None:
    item = OrderItem(title="Hoodie", unit_price=Money(amount="18.40"), free_return=True)
    o = order(OrderStatus.SHIPPED, items=(item,), total=Money(amount="18.40"))
    plan = decide(o, intent(), None, NOW)
    assert plan.kinds == (A.ADVISE_USER,)
    assert plan.actions[0].advice is AdviceKind.FREE_RETURN


def test_shipped_after_delivery_dispute_now_and_message_once() -> None:
    o = order(OrderStatus.SHIPPED, shipment=Shipment(delivered_at=NOW - timedelta(days=1)))
    h = history(sent(M.SHIPPED, NOW - timedelta(days=3)))
    plan = decide(o, intent(), h, NOW)
    assert plan.kinds == (A.ADVISE_USER,)
    assert plan.actions[0].advice is AdviceKind.DISPUTE
    assert "delivered" in (plan.actions[0].advice_text or "")


# --- 7 days: shipment canceled ---------------------------------------------------------------


def _canceled_shipment() -> Order:
    return order(OrderStatus.SHIPPED, shipment=Shipment(shipment_canceled=True))


def test_shipment_canceled_before_7_days_waits() -> None:
    at = NOW - timedelta(days=7) + SECOND
    plan = decide(_canceled_shipment(), intent(), history(sent(M.SHIPMENT_CANCELED, at)), NOW)
    assert plan.kinds == (A.CHECK_SELLER_ANSWER, A.WAIT)
    assert plan.actions[1].wait_until == at + timedelta(days=7)


def test_shipment_canceled_at_7_days_without_answer_dispute() -> None:
    at = NOW - timedelta(days=7)
    plan = decide(_canceled_shipment(), intent(), history(sent(M.SHIPMENT_CANCELED, at)), NOW)
    assert plan.kinds == (A.ADVISE_USER,)
    assert plan.actions[0].advice is AdviceKind.DISPUTE


def test_shipment_canceled_seller_answered() -> None:
    at = NOW - timedelta(days=8)
    h = history(
        sent(M.SHIPMENT_CANCELED, at),
        (HistoryKind.SELLER_MESSAGE_SEEN, at + timedelta(days=2), None),
    )
    plan = decide(_canceled_shipment(), intent(), h, NOW)
    assert plan.actions[0].advice is AdviceKind.CONTACT_SELLER


# --- 15 working days: refund limit across weekends -------------------------------------------

FRIDAY = datetime(2026, 11, 13, 10, 0, tzinfo=UTC)
LIMIT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # three weeks later: 15 working days


@pytest.mark.parametrize(
    ("now", "kinds", "case"),
    [
        (LIMIT - SECOND, (A.POLL_REFUND,), CaseStatus.WAITING_REFUND),
        (LIMIT, (A.POLL_REFUND, A.ADVISE_USER), CaseStatus.NEEDS_USER),
    ],
)
def test_refund_limit_15_working_days(
    now: datetime, kinds: tuple[ActionKind, ...], case: CaseStatus
) -> None:
    o = order(OrderStatus.CLOSED, placed_at=FRIDAY - timedelta(days=3), closed_at=FRIDAY)
    plan = decide(o, intent(), None, now)
    assert plan.kinds == kinds and plan.case_status is case


def test_refund_limit_uses_the_preferences_time_zone() -> None:
    # Friday 23:30 UTC is already Saturday 08:30 in Tokyo: 15 working days from a Saturday
    # end on the third Friday at 08:30 Tokyo time, a day earlier than counted in UTC.
    closed = datetime(2026, 11, 13, 23, 30, tzinfo=UTC)
    o = order(OrderStatus.CLOSED, placed_at=closed - timedelta(days=3), closed_at=closed)
    utc_plan = decide(o, intent(), None, closed + timedelta(days=1))
    tokyo_plan = decide(
        o, intent(), None, closed + timedelta(days=1), Preferences(timezone="Asia/Tokyo")
    )
    assert utc_plan.next_check_at == datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    assert tokyo_plan.next_check_at == datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    assert tokyo_plan.next_check_at is not None and tokyo_plan.next_check_at.tzinfo is not None


def test_refund_finished_is_done() -> None:
    steps = tuple(RefundStep(name=n, done=True) for n in ("a", "b", "c"))
    refund = RefundProgress(steps=steps)
    o = order(OrderStatus.CLOSED, closed_at=NOW - timedelta(days=1), refund=refund)
    plan = decide(o, intent(), None, NOW)
    assert plan.kinds == (A.NOTHING,) and plan.case_status is CaseStatus.DONE_REFUNDED


def test_closed_unpaid_order_has_nothing_to_refund() -> None:
    o = order(OrderStatus.CLOSED, paid_at=None, closed_at=NOW)
    plan = decide(o, intent(), None, NOW)
    assert plan.kinds == (A.NOTHING,) and plan.case_status is CaseStatus.DONE_CANCELLED


def test_closed_without_date_polls() -> None:
    plan = decide(order(OrderStatus.CLOSED), intent(), None, NOW)
    assert plan.kinds == (A.POLL_REFUND,) and plan.next_check_at is None


# --- other rules -----------------------------------------------------------------------------


def test_message_override_from_intent() -> None:
    o = order(OrderStatus.AWAITING_SHIPMENT, actions=CANCEL_BUTTON)
    i = Intent(message="Please cancel {order_id}, sorry!")
    plan = decide(o, i, None, NOW)
    assert plan.actions[1].message == f"Please cancel {ORDER_ID}, sorry!"


def test_reason_override_that_blames_the_seller_is_ignored_without_fraud() -> None:
    o = order(OrderStatus.AWAITING_SHIPMENT, actions=CANCEL_BUTTON)
    i = Intent(reason="The supplier refuses to ship the product(s)")
    assert decide(o, i, None, NOW).actions[0].reason == "I ordered the wrong product(s)"
    f = Intent(kind=IntentKind.FRAUD, reason="The supplier refuses to ship the product(s)")
    assert (
        decide(o, f, None, NOW).actions[0].reason == "The supplier refuses to ship the product(s)"
    )


def test_only_blaming_reasons_configured_needs_the_user() -> None:
    o = order(OrderStatus.AWAITING_SHIPMENT, actions=CANCEL_BUTTON)
    prefs = Preferences(reasons=("The supplier refuses to ship the product(s)",))
    plan = decide(o, intent(), None, NOW, prefs)
    assert plan.kinds == (A.ADVISE_USER,) and plan.case_status is CaseStatus.NEEDS_USER


def test_change_order_sent_once_then_checked() -> None:
    o = order(OrderStatus.AWAITING_SHIPMENT, actions=CANCEL_BUTTON)
    h = history(sent(M.CHANGE_ORDER, NOW - timedelta(hours=1)))
    plan = decide(o, intent(IntentKind.CHANGE_ORDER), h, NOW)
    assert plan.kinds == (A.CHECK_SELLER_ANSWER, A.ADVISE_USER)


def test_request_plan_lists_coupon_outcomes() -> None:
    o = order(OrderStatus.AWAITING_SHIPMENT, actions=CANCEL_BUTTON)
    assert decide(o, intent(), None, NOW).coupons == ()


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        decide(order(), intent(), None, datetime(2026, 11, 18, 10, 0))


def test_shipped_after_rejection_says_so_and_never_cancels() -> None:
    o = order(OrderStatus.SHIPPED, actions=CANCEL_BUTTON)
    h = history((HistoryKind.REJECTION_SEEN, NOW - timedelta(days=2), None))
    plan = decide(o, intent(), h, NOW)
    assert plan.kinds == (A.MESSAGE_SELLER, A.ADVISE_USER)
    assert "rejected" in plan.actions[0].why
    assert plan.actions[1].advice is AdviceKind.DISPUTE
    assert "After delivery" in (plan.actions[1].advice_text or "")


def test_overdue_refund_says_how_many_working_days_passed() -> None:
    # Closed on a Friday; four weeks later (20 working days) the refund is overdue.
    o = order(OrderStatus.CLOSED, placed_at=FRIDAY - timedelta(days=3), closed_at=FRIDAY)
    plan = decide(o, intent(), None, FRIDAY + timedelta(weeks=4))
    assert plan.case_status is CaseStatus.NEEDS_USER
    assert "20 working days since the closing" in plan.actions[-1].why
