"""Property tests of the policy's invariants over generated orders and histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.domain.models import (
    ActionKind,
    CancellationAnswer,
    CancellationRequest,
    CaseHistory,
    Coupon,
    CouponKind,
    HistoryEntry,
    HistoryKind,
    Intent,
    IntentKind,
    MessageTemplateId,
    Money,
    Order,
    OrderItem,
    OrderStatus,
    Plan,
    PortalAction,
    RefundProgress,
    RefundStep,
    Shipment,
)
from assistant.domain.policy import decide
from tests.support.orders import SCENARIO_ORDER

BASE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))
CANCELS = (ActionKind.CANCEL_NOW, ActionKind.REQUEST_CANCELLATION)


@st.composite
def orders(draw: st.DrawFn) -> Order:
    placed = BASE + draw(offsets)
    status = draw(st.sampled_from(OrderStatus))
    paid = draw(st.none() | offsets.map(lambda d: placed + d / 100))
    n_items = draw(st.integers(1, 3))
    items = tuple(
        OrderItem(
            title=f"item {i}",
            unit_price=Money(amount="2.00"),
            free_return=draw(st.booleans()),
            cancelled=draw(st.booleans()),
        )
        for i in range(n_items)
    )
    cancellation = None
    if draw(st.booleans()):
        requested = placed + draw(offsets) / 10
        answer = draw(st.sampled_from(CancellationAnswer))
        cancellation = CancellationRequest(
            requested_at=requested,
            answer=answer,
            answered_at=None if answer is CancellationAnswer.PENDING else requested,
        )
    shipment = None
    if draw(st.booleans()):
        shipment = Shipment(
            shipment_canceled=draw(st.booleans()),
            delivered_at=draw(st.none() | st.just(placed + timedelta(days=9))),
        )
    refund = None
    if draw(st.booleans()):
        done = draw(st.tuples(st.booleans(), st.booleans(), st.booleans()))
        refund = RefundProgress(
            steps=tuple(RefundStep(name=f"s{i}", done=d) for i, d in enumerate(done))
        )
    coupons = tuple(
        Coupon(kind=k, amount=Money(amount="1.00"), covers=(0,))
        for k in draw(st.lists(st.sampled_from(CouponKind), max_size=2))
    )
    return Order(
        order_id=SCENARIO_ORDER,
        store="Store",
        items=items,
        total=Money(amount="6.00"),
        status=status,
        placed_at=placed,
        paid_at=paid,
        actions=frozenset(draw(st.sets(st.sampled_from(PortalAction)))),
        coupons=coupons,
        cancellation=cancellation,
        refund=refund,
        shipment=shipment,
        closed_at=draw(st.none() | st.just(placed + timedelta(days=3))),
    )


@st.composite
def histories(draw: st.DrawFn) -> CaseHistory:
    entries = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(HistoryKind))
        template = (
            draw(st.sampled_from(MessageTemplateId)) if kind is HistoryKind.MESSAGE_SENT else None
        )
        entries.append(HistoryEntry(kind=kind, at=BASE + draw(offsets), template_id=template))
    return CaseHistory(entries=tuple(entries))


intents = st.sampled_from(IntentKind).map(
    lambda k: Intent(kind=k, details="colour red" if k is IntentKind.CHANGE_ORDER else None)
)
nows = offsets.map(lambda d: BASE + d * 2)


def _plan(order: Order, intent: Intent, history: CaseHistory, now: datetime) -> Plan:
    return decide(order, intent, history, now)


@settings(max_examples=300, deadline=None, database=None)
@given(orders(), intents, histories(), nows)
def test_invariants(order: Order, intent: Intent, history: CaseHistory, now: datetime) -> None:
    plan = _plan(order, intent, history, now)
    kinds = plan.kinds
    # Shipped, completed, closed, shipment-canceled and unknown orders are never cancelled.
    if (
        order.status
        in (
            OrderStatus.SHIPPED,
            OrderStatus.COMPLETED,
            OrderStatus.CLOSED,
            OrderStatus.UNKNOWN,
        )
        or order.shipment_canceled
    ):
        assert not set(kinds) & set(CANCELS)
    # "Yes" to the report question only with the fraud intent.
    for action in plan.actions:
        if action.report_supplier:
            assert intent.kind is IntentKind.FRAUD
        # Every action carries its justification.
        assert action.why.strip() and action.rule.strip()
    # Never a second request while one is pending or answered.
    if order.cancellation is not None or history.request_submitted_at is not None:
        assert ActionKind.REQUEST_CANCELLATION not in kinds
    # A template already sent is never sent again.
    for action in plan.actions:
        if action.kind is ActionKind.MESSAGE_SELLER:
            assert action.template_id is not None
            assert history.message_sent_at(action.template_id) is None
    # Change of order never cancels.
    if intent.kind is IntentKind.CHANGE_ORDER:
        assert not set(kinds) & set(CANCELS)


@settings(max_examples=150, deadline=None, database=None)
@given(orders(), intents, histories(), nows)
def test_deterministic_and_json_round_trip(
    order: Order, intent: Intent, history: CaseHistory, now: datetime
) -> None:
    first = _plan(order, intent, history, now)
    assert _plan(order, intent, history, now) == first
    assert Plan.model_validate(first.model_dump(mode="json")) == first
    assert Order.model_validate(order.model_dump(mode="json")) == order
    assert CaseHistory.model_validate_json(history.model_dump_json()) == history
