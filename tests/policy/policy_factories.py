"""Builders of orders, histories and times for the policy tests (one place for defaults)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.domain.models import (
    CaseHistory,
    HistoryEntry,
    HistoryKind,
    Intent,
    IntentKind,
    MessageTemplateId,
    Money,
    Order,
    OrderItem,
    OrderStatus,
)
from tests.support.orders import SCENARIO_ORDER

#: A Wednesday, 10:00 UTC: weekends are two and three days later.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
ORDER_ID = SCENARIO_ORDER


def order(status: OrderStatus = OrderStatus.AWAITING_SHIPMENT, **fields: Any) -> Order:
    """A valid order in ``status``; ``fields`` override the defaults."""
    placed = fields.pop("placed_at", NOW - timedelta(days=2))
    paid_default = None if status is OrderStatus.AWAITING_PAYMENT else placed + timedelta(minutes=2)
    data: dict[str, Any] = {
        "order_id": ORDER_ID,
        "store": "Sunrise Store",
        "items": (OrderItem(title="Cable", unit_price=Money(amount="3.50")),),
        "total": Money(amount="3.50"),
        "status": status,
        "placed_at": placed,
        "paid_at": paid_default,
        "actions": frozenset(),
    }
    data.update(fields)
    return Order(**data)


def intent(kind: IntentKind = IntentKind.CANCEL) -> Intent:
    """An intent of ``kind`` (change_order gets a change to ask for)."""
    details = "please send size M instead of L" if kind is IntentKind.CHANGE_ORDER else None
    return Intent(kind=kind, details=details)


def history(*entries: tuple[HistoryKind, datetime, MessageTemplateId | None]) -> CaseHistory:
    """A case history from (kind, at, template) triples."""
    return CaseHistory(
        order_id=ORDER_ID,
        entries=tuple(HistoryEntry(kind=k, at=at, template_id=t) for k, at, t in entries),
    )


def sent(
    template: MessageTemplateId, at: datetime
) -> tuple[HistoryKind, datetime, MessageTemplateId]:
    """A history triple: message of ``template`` sent at ``at``."""
    return (HistoryKind.MESSAGE_SENT, at, template)
