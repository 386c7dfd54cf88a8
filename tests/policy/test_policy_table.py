"""Every order status x every intent, first run: the whole plan (kinds and key fields)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from policy_factories import NOW, ORDER_ID, intent, order

from assistant.domain.models import (
    ActionKind,
    AdviceKind,
    CancellationAnswer,
    CancellationRequest,
    CaseStatus,
    IntentKind,
    MessageTemplateId,
    Order,
    OrderStatus,
    Plan,
    PortalAction,
    Shipment,
)
from assistant.domain.policy import decide

A = ActionKind
M = MessageTemplateId
ADV = AdviceKind
S = OrderStatus
C = CaseStatus
CANCEL, CHANGE, FRAUD = IntentKind.CANCEL, IntentKind.CHANGE_ORDER, IntentKind.FRAUD


def _order_in(status: OrderStatus) -> Order:
    extra: dict[str, Any] = {}
    if status is S.AWAITING_PAYMENT:
        extra["actions"] = frozenset({PortalAction.PAY, PortalAction.CANCEL})
    elif status in (S.PAYMENT_VERIFYING, S.AWAITING_SHIPMENT):
        extra["actions"] = frozenset({PortalAction.CANCEL, PortalAction.CONTACT_SELLER})
    elif status is S.CANCELLATION_REQUESTED:
        extra["cancellation"] = CancellationRequest(requested_at=NOW - timedelta(days=1))
    elif status is S.CANCELLATION_REJECTED:
        extra["cancellation"] = CancellationRequest(
            requested_at=NOW - timedelta(days=1),
            answer=CancellationAnswer.REJECTED,
            answered_at=NOW - timedelta(hours=1),
        )
    elif status is S.SHIPPED:
        extra["actions"] = frozenset({PortalAction.TRACK, PortalAction.CONTACT_SELLER})
        extra["shipment"] = Shipment(tracking_number="LP1", shipped_at=NOW - timedelta(days=1))
    elif status is S.SHIPMENT_CANCELED:
        extra["shipment"] = Shipment(shipment_canceled=True)
    elif status is S.CLOSED:
        extra["closed_at"] = NOW - timedelta(days=1)
    elif status is S.UNKNOWN:
        extra["status_label"] = "In dispute"
    return order(status, **extra)


def _shape(plan: Plan) -> tuple[tuple[ActionKind, object], ...]:
    """Each action's kind with its key field (report answer, template or advice)."""
    shape = []
    for action in plan.actions:
        key: object = None
        if action.kind is A.REQUEST_CANCELLATION:
            key = action.report_supplier
        elif action.kind is A.MESSAGE_SELLER:
            key = action.template_id
        elif action.kind is A.ADVISE_USER:
            key = action.advice
        shape.append((action.kind, key))
    return tuple(shape)


TABLE = [
    (S.AWAITING_PAYMENT, CANCEL, ((A.CANCEL_NOW, None),), C.DONE_CANCELLED),
    (S.AWAITING_PAYMENT, CHANGE, ((A.ADVISE_USER, ADV.REORDER),), C.NEEDS_USER),
    (S.AWAITING_PAYMENT, FRAUD, ((A.CANCEL_NOW, None),), C.DONE_CANCELLED),
    (S.PAYMENT_VERIFYING, CANCEL, ((A.CANCEL_NOW, None),), C.WAITING_REFUND),
    (S.PAYMENT_VERIFYING, CHANGE, ((A.ADVISE_USER, ADV.REORDER),), C.NEEDS_USER),
    (S.PAYMENT_VERIFYING, FRAUD, ((A.CANCEL_NOW, None),), C.WAITING_REFUND),
    (
        S.AWAITING_SHIPMENT,
        CANCEL,
        ((A.REQUEST_CANCELLATION, False), (A.MESSAGE_SELLER, M.CANCEL_REQUEST)),
        C.WAITING_SELLER,
    ),
    (
        S.AWAITING_SHIPMENT,
        CHANGE,
        ((A.MESSAGE_SELLER, M.CHANGE_ORDER), (A.ADVISE_USER, ADV.REORDER)),
        C.WAITING_SELLER,
    ),
    (
        S.AWAITING_SHIPMENT,
        FRAUD,
        ((A.REQUEST_CANCELLATION, True), (A.ADVISE_USER, ADV.DISPUTE)),
        C.WAITING_SELLER,
    ),
    (
        S.CANCELLATION_REQUESTED,
        CANCEL,
        ((A.MESSAGE_SELLER, M.CANCEL_REQUEST), (A.CHECK_SELLER_ANSWER, None), (A.WAIT, None)),
        C.WAITING_SELLER,
    ),
    (
        S.CANCELLATION_REQUESTED,
        CHANGE,
        ((A.MESSAGE_SELLER, M.CHANGE_ORDER), (A.ADVISE_USER, ADV.REORDER)),
        C.WAITING_SELLER,
    ),
    (
        S.CANCELLATION_REQUESTED,
        FRAUD,
        ((A.CHECK_SELLER_ANSWER, None), (A.WAIT, None)),
        C.WAITING_SELLER,
    ),
    (
        S.CANCELLATION_REJECTED,
        CANCEL,
        ((A.MESSAGE_SELLER, M.AFTER_REJECTION), (A.ADVISE_USER, ADV.DISPUTE)),
        C.WAITING_SELLER,
    ),
    (
        S.CANCELLATION_REJECTED,
        CHANGE,
        ((A.MESSAGE_SELLER, M.CHANGE_ORDER), (A.ADVISE_USER, ADV.REORDER)),
        C.WAITING_SELLER,
    ),
    (S.CANCELLATION_REJECTED, FRAUD, ((A.ADVISE_USER, ADV.DISPUTE),), C.NEEDS_USER),
    (
        S.SHIPPED,
        CANCEL,
        ((A.MESSAGE_SELLER, M.SHIPPED), (A.ADVISE_USER, ADV.DISPUTE)),
        C.NEEDS_USER,
    ),
    (
        S.SHIPPED,
        CHANGE,
        ((A.MESSAGE_SELLER, M.CHANGE_ORDER), (A.ADVISE_USER, ADV.DISPUTE)),
        C.NEEDS_USER,
    ),
    (S.SHIPPED, FRAUD, ((A.ADVISE_USER, ADV.DISPUTE),), C.NEEDS_USER),
    (
        S.SHIPMENT_CANCELED,
        CANCEL,
        ((A.MESSAGE_SELLER, M.SHIPMENT_CANCELED), (A.WAIT, None)),
        C.WAITING_SELLER,
    ),
    (
        S.SHIPMENT_CANCELED,
        CHANGE,
        ((A.MESSAGE_SELLER, M.SHIPMENT_CANCELED), (A.WAIT, None)),
        C.WAITING_SELLER,
    ),
    (S.SHIPMENT_CANCELED, FRAUD, ((A.ADVISE_USER, ADV.DISPUTE),), C.NEEDS_USER),
    (S.CLOSED, CANCEL, ((A.POLL_REFUND, None),), C.WAITING_REFUND),
    (S.CLOSED, CHANGE, ((A.POLL_REFUND, None),), C.WAITING_REFUND),
    (S.CLOSED, FRAUD, ((A.POLL_REFUND, None),), C.WAITING_REFUND),
    (S.COMPLETED, CANCEL, ((A.NOTHING, None),), C.NOTHING_TO_DO),
    (S.COMPLETED, CHANGE, ((A.NOTHING, None),), C.NOTHING_TO_DO),
    (S.COMPLETED, FRAUD, ((A.NOTHING, None),), C.NOTHING_TO_DO),
    (S.UNKNOWN, CANCEL, ((A.ADVISE_USER, ADV.CHECK_MANUALLY),), C.NEEDS_USER),
    (S.UNKNOWN, CHANGE, ((A.ADVISE_USER, ADV.CHECK_MANUALLY),), C.NEEDS_USER),
    (S.UNKNOWN, FRAUD, ((A.ADVISE_USER, ADV.CHECK_MANUALLY),), C.NEEDS_USER),
]


def test_table_covers_every_status_and_intent() -> None:
    assert {(s, i) for s, i, _, _ in TABLE} == {(s, i) for s in S for i in IntentKind}


@pytest.mark.parametrize(("status", "kind", "shape", "case"), TABLE)
def test_plan(
    status: OrderStatus,
    kind: IntentKind,
    shape: tuple[tuple[ActionKind, object], ...],
    case: CaseStatus,
) -> None:
    plan = decide(_order_in(status), intent(kind), None, NOW)
    assert _shape(plan) == shape
    assert plan.case_status is case
    assert plan.status is status and plan.intent is kind
    assert plan.order_id == ORDER_ID
    for action in plan.actions:
        assert action.why.strip() and action.rule.strip()
        if action.kind in (A.CANCEL_NOW, A.REQUEST_CANCELLATION):
            assert action.reason == "I ordered the wrong product(s)"
        if action.kind is A.MESSAGE_SELLER:
            assert action.message is not None and ORDER_ID in action.message
        if action.kind is A.WAIT:
            assert action.wait_until is not None and action.wait_until > NOW


def test_change_message_carries_the_change() -> None:
    plan = decide(_order_in(S.AWAITING_SHIPMENT), intent(CHANGE), None, NOW)
    assert plan.actions[0].message is not None
    assert "size M instead of L" in plan.actions[0].message
