"""The records the portal keeps per order and per browser session."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .scenario import ClosedReason, Order, OrderState, TrackingEvent


@dataclass
class Message:
    author: str  # "buyer" or "seller"
    text: str
    time: datetime


@dataclass
class Record:
    """A state-changing request the server received about an order (kept for the control API)."""

    kind: str
    time: datetime
    accepted: bool
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderRec:
    spec: Order
    state: OrderState
    since: datetime
    paid_at: datetime | None
    requested_at: datetime | None = None
    shipped_at: datetime | None = None
    closed_at: datetime | None = None
    closed_reason: ClosedReason | None = None
    rejected: bool = False
    deleted: bool = False
    records: list[Record] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    pending_replies: list[Message] = field(default_factory=list)
    tracking_events: list[TrackingEvent] = field(default_factory=list)
    injected: str | None = None  # hostile content: the order whose card the detail shows

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def subtotal(self) -> Decimal:
        return sum((i.price * i.qty for i in self.spec.items), Decimal("0"))

    @property
    def total(self) -> Decimal:
        c = self.spec.coupons
        discount = sum(
            (
                c.platform.amount if c.platform else Decimal("0"),
                c.seller or Decimal("0"),
                c.promo_code.amount if c.promo_code else Decimal("0"),
            ),
            Decimal("0"),
        )
        return max(self.subtotal + self.spec.shipping - discount, Decimal("0"))

    def requests(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: str | None = None
    pending_email: str | None = None
    stage: str | None = None  # "verify" or "captcha" once the password was right
    code: str | None = None  # the one-time code an injected challenge expects
    notice: str | None = None
    error: str | None = None


@dataclass
class LoginGuard:
    failures: int = 0
    locked_until: datetime | None = None
