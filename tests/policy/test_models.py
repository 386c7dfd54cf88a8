"""Validation rules of the domain models: aware datetimes, order ids, cross-field rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from policy_factories import NOW, ORDER_ID, order
from pydantic import ValidationError

from assistant.domain.models import (
    Action,
    ActionKind,
    CancellationAnswer,
    CancellationRequest,
    CaseHistory,
    CaseStatus,
    Coupon,
    CouponKind,
    HistoryEntry,
    HistoryKind,
    Intent,
    IntentKind,
    MessageTemplateId,
    Money,
    Order,
    OrderStatus,
    Outcome,
    Preferences,
    RefundProgress,
    RefundStep,
)


def test_naive_datetime_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        order(placed_at=datetime(2026, 1, 1, 10, 0))


@pytest.mark.parametrize("bad", ["12345", "82112795218500321234567", "8211-2795-2185", ""])
def test_order_id_must_be_a_long_number(bad: str) -> None:
    with pytest.raises(ValidationError, match="order_id"):
        order(order_id=bad)


def test_order_id_from_card_text_is_cleaned() -> None:
    assert order(order_id=f"Order ID: {ORDER_ID}Copy").order_id == ORDER_ID


def test_unknown_field_and_mutation_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        order(colour="red")
    with pytest.raises(ValidationError, match="frozen"):
        order().store = "x"  # type: ignore[misc]


def test_money_and_currency() -> None:
    assert str(Money(amount="12.3")) == "USD 12.30"
    with pytest.raises(ValidationError):
        Money(amount="-1")
    with pytest.raises(ValidationError):
        Money(amount="1", currency="usd")
    with pytest.raises(ValidationError, match="mixed currencies"):
        order(total=Money(amount="3.50", currency="EUR"))


def test_order_cross_field_rules() -> None:
    with pytest.raises(ValidationError, match="paid_at"):
        order(paid_at=NOW - timedelta(days=30))
    with pytest.raises(ValidationError, match="covers item 5"):
        order(coupons=(Coupon(kind=CouponKind.PLATFORM, amount=Money(amount="1"), covers=(5,)),))


def test_cancellation_request_rules_and_deadline() -> None:
    req = CancellationRequest(requested_at=NOW)
    assert req.deadline == NOW + timedelta(days=15)
    with pytest.raises(ValidationError, match="pending"):
        CancellationRequest(requested_at=NOW, answered_at=NOW)
    with pytest.raises(ValidationError, match="before"):
        CancellationRequest(
            requested_at=NOW, answer=CancellationAnswer.REJECTED, answered_at=NOW - timedelta(1)
        )


def test_refund_progress_has_exactly_three_steps() -> None:
    with pytest.raises(ValidationError):
        RefundProgress(steps=(RefundStep(name="a"), RefundStep(name="b")))
    steps = (RefundStep(name="a", done=True), RefundStep(name="b", done=True), RefundStep(name="c"))
    assert not RefundProgress(steps=steps).finished


def test_action_cross_field_rules() -> None:
    with pytest.raises(ValidationError, match="reason"):
        Action(kind=ActionKind.REQUEST_CANCELLATION, why="w", rule="r", report_supplier=False)
    with pytest.raises(ValidationError, match="report_supplier"):
        Action(kind=ActionKind.REQUEST_CANCELLATION, why="w", rule="r", reason="x")
    with pytest.raises(ValidationError, match="report_supplier only"):
        Action(kind=ActionKind.CANCEL_NOW, why="w", rule="r", reason="x", report_supplier=True)
    with pytest.raises(ValidationError, match="template_id"):
        Action(kind=ActionKind.MESSAGE_SELLER, why="w", rule="r", message="hi")
    with pytest.raises(ValidationError, match="wait_until"):
        Action(kind=ActionKind.WAIT, why="w", rule="r")
    with pytest.raises(ValidationError, match="advice"):
        Action(kind=ActionKind.ADVISE_USER, why="w", rule="r")
    with pytest.raises(ValidationError, match="why"):
        Action(kind=ActionKind.NOTHING, why="   ", rule="r")


def test_intent_and_preferences_rules() -> None:
    with pytest.raises(ValidationError, match="details"):
        Intent(kind=IntentKind.CHANGE_ORDER)
    with pytest.raises(ValidationError, match="unknown fields"):
        Preferences(templates={MessageTemplateId.DONT_SHIP: "{card_number}"})
    with pytest.raises(ValidationError, match="time zone"):
        Preferences(timezone="Mars/Olympus")


def test_outcome_failed_needs_error() -> None:
    with pytest.raises(ValidationError, match="error"):
        Outcome(order_id="1", case_status=CaseStatus.FAILED, at=NOW)


def test_history_helpers_and_json_round_trip() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    h = CaseHistory(order_id=ORDER_ID)
    h = h.with_entry(HistoryEntry(kind=HistoryKind.REQUEST_SUBMITTED, at=t0 + timedelta(1)))
    h = h.with_entry(HistoryEntry(kind=HistoryKind.REQUEST_SUBMITTED, at=t0))
    h = h.with_entry(
        HistoryEntry(
            kind=HistoryKind.MESSAGE_SENT, at=t0, template_id=MessageTemplateId.CANCEL_REQUEST
        )
    )
    assert h.request_submitted_at == t0
    assert h.message_sent_at(MessageTemplateId.CANCEL_REQUEST) == t0
    assert h.message_sent_at(MessageTemplateId.DONT_SHIP) is None
    assert h.last_seller_message is None
    assert CaseHistory.model_validate(h.model_dump(mode="json")) == h
    with pytest.raises(ValidationError, match="template_id"):
        HistoryEntry(kind=HistoryKind.MESSAGE_SENT, at=t0)


def test_order_json_round_trip_sorts_actions() -> None:
    o = order(OrderStatus.SHIPPED)
    data = o.model_dump(mode="json")
    assert Order.model_validate(data) == o
    assert data["actions"] == sorted(data["actions"])


def test_plan_json_carries_summary_and_round_trips() -> None:
    from policy_factories import intent

    from assistant.domain.models import Plan
    from assistant.domain.policy import decide

    plan = decide(order(), intent(), None, NOW)
    data = plan.model_dump(mode="json")
    assert data["summary"].startswith(f"order {ORDER_ID} (awaiting_shipment)")
    assert Plan.model_validate(data) == plan
    assert Plan.model_validate_json(plan.model_dump_json()) == plan
