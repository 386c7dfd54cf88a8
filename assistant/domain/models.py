"""The domain model: orders as the portal shows them, what the user wants, and plans.

Everything the assistant reasons about is a pydantic model here, so that the policy, the
flows and the journal share one vocabulary and one set of validation rules: unknown fields
are refused, datetimes must carry a time zone, money is a Decimal with a currency, and
cross-field rules (a cancellation request needs a reason and an answer to the report
question, ...) are enforced where the objects are built, not where they are used.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    StringConstraints,
    computed_field,
    field_serializer,
    field_validator,
    model_validator,
)

from assistant.domain.kinds import (
    CLOSED_CASE_STATES,
    MESSAGE_FIELDS,
    ActionKind,
    AdviceKind,
    CancellationAnswer,
    CancelledBy,
    CaseStatus,
    CouponKind,
    HistoryKind,
    IntentKind,
    MessageTemplateId,
    OrderStatus,
    PortalAction,
)
from assistant.domain.order_ids import OrderId

__all__ = [
    "CLOSED_CASE_STATES",
    "DEFAULT_REASONS",
    "MESSAGE_FIELDS",
    "Action",
    "ActionKind",
    "AdviceKind",
    "CancellationAnswer",
    "CancellationRequest",
    "CancelledBy",
    "CaseHistory",
    "CaseStatus",
    "Coupon",
    "CouponKind",
    "CouponOutcome",
    "HistoryEntry",
    "HistoryKind",
    "Intent",
    "IntentKind",
    "MessageTemplateId",
    "Money",
    "NonEmptyStr",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Outcome",
    "Plan",
    "PortalAction",
    "Preferences",
    "RefundProgress",
    "RefundStep",
    "Shipment",
]

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

#: Seller's time to answer a cancellation request (DOMAIN.md: 15 days, silence = accepted).
#: Repeated in ``assistant.domain.workdays``; kept here so a request can compute its own deadline.
_SELLER_ANSWER_DAYS = 15


class _Model(BaseModel):
    """Base: unknown fields are an error and instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Money(_Model):
    """An amount in one currency (ISO 4217 code, e.g. ``USD``)."""

    amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:.2f}"


class OrderItem(_Model):
    """One product line of an order."""

    title: NonEmptyStr
    quantity: PositiveInt = 1
    unit_price: Money
    options: tuple[str, ...] = ()
    free_return: bool = False
    cancelled: bool = False


class Coupon(_Model):
    """A discount used on the order; ``covers`` are item indices (empty = every item)."""

    kind: CouponKind
    amount: Money
    expires_at: AwareDatetime | None = None
    covers: tuple[Annotated[int, Field(ge=0)], ...] = ()
    name: str | None = None


class CancellationRequest(_Model):
    """A cancellation request submitted on a paid order, and the seller's answer."""

    requested_at: AwareDatetime
    reason: str | None = None
    report_supplier: bool = False
    seller_deadline: AwareDatetime | None = None
    answer: CancellationAnswer = CancellationAnswer.PENDING
    answered_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _answer_consistent(self) -> Self:
        if self.answer is CancellationAnswer.PENDING and self.answered_at is not None:
            raise ValueError("a pending request cannot have answered_at")
        if self.answered_at is not None and self.answered_at < self.requested_at:
            raise ValueError("answered_at is before requested_at")
        if self.seller_deadline is not None and self.seller_deadline < self.requested_at:
            raise ValueError("seller_deadline is before requested_at")
        return self

    @property
    def deadline(self) -> AwareDatetime:
        """The seller's deadline: as shown by the portal, else requested_at + 15 days."""
        if self.seller_deadline is not None:
            return self.seller_deadline
        return self.requested_at + timedelta(days=_SELLER_ANSWER_DAYS)


class RefundStep(_Model):
    """One of the three refund "dots"."""

    name: NonEmptyStr
    done: bool = False
    date: AwareDatetime | None = None


class RefundProgress(_Model):
    """The refund progress of the "Payment" tab: exactly three steps."""

    steps: tuple[RefundStep, RefundStep, RefundStep]
    amount: Money | None = None

    @property
    def finished(self) -> bool:
        """All three dots are done: the platform has finished (the bank may lag)."""
        return all(step.done for step in self.steps)


class Shipment(_Model):
    """Shipping and tracking information."""

    carrier: str | None = None
    tracking_number: str | None = None
    shipped_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    shipment_canceled: bool = False
    shipment_canceled_at: AwareDatetime | None = None


class Order(_Model):
    """An order as read from the portal (list card plus detail page)."""

    order_id: OrderId
    store: NonEmptyStr
    items: tuple[OrderItem, ...] = ()
    total: Money
    status: OrderStatus
    status_label: str | None = None
    placed_at: AwareDatetime
    paid_at: AwareDatetime | None = None
    actions: frozenset[PortalAction] = frozenset()
    coupons: tuple[Coupon, ...] = ()
    cancellation: CancellationRequest | None = None
    refund: RefundProgress | None = None
    shipment: Shipment | None = None
    closed_at: AwareDatetime | None = None
    cancelled_by: CancelledBy | None = None

    @field_validator("order_id", mode="before")
    @classmethod
    def _clean_order_id(cls, value: object) -> object:
        # The list card's text reads "Order ID: 8211279521850032Copy".
        if isinstance(value, str):
            cleaned = value.strip()
            for noise in ("Order ID:", "Copy"):
                cleaned = cleaned.replace(noise, "")
            return cleaned.strip()
        return value

    @field_serializer("actions")
    def _sorted_actions(self, actions: frozenset[PortalAction]) -> list[str]:
        return sorted(a.value for a in actions)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.paid_at is not None and self.paid_at < self.placed_at:
            raise ValueError("paid_at is before placed_at")
        if self.closed_at is not None and self.closed_at < self.placed_at:
            raise ValueError("closed_at is before placed_at")
        for coupon in self.coupons:
            for index in coupon.covers:
                if index >= len(self.items):
                    raise ValueError(f"coupon covers item {index}, order has {len(self.items)}")
        currencies = {self.total.currency} | {i.unit_price.currency for i in self.items}
        if len(currencies) > 1:
            raise ValueError(f"mixed currencies: {sorted(currencies)}")
        return self

    @property
    def shipment_canceled(self) -> bool:
        """The courier's shipment was cancelled (status or tracking says so)."""
        return self.status is OrderStatus.SHIPMENT_CANCELED or (
            self.shipment is not None and self.shipment.shipment_canceled
        )


class Intent(_Model):
    """What the user wants; ``details`` says what to change for ``change_order``."""

    kind: IntentKind = IntentKind.CANCEL
    details: str | None = None
    reason: str | None = None
    message: str | None = None

    @model_validator(mode="after")
    def _details_for_change(self) -> Self:
        if self.kind is IntentKind.CHANGE_ORDER and not (self.details or "").strip():
            raise ValueError("change_order needs details saying what to change")
        return self


DEFAULT_REASONS: tuple[str, ...] = (
    "I ordered the wrong product(s)",
    "I ordered the wrong item",
    "Other reason(s)",
    "Other reasons",
    "I placed a duplicate order",
)


class Preferences(_Model):
    """User preferences: reasons in order of preference, message overrides, name."""

    reasons: tuple[NonEmptyStr, ...] = DEFAULT_REASONS
    templates: Mapping[MessageTemplateId, str] = Field(default_factory=dict)
    buyer_name: str | None = None
    timezone: NonEmptyStr = "UTC"

    @field_validator("templates")
    @classmethod
    def _known_fields(
        cls, value: Mapping[MessageTemplateId, str]
    ) -> Mapping[MessageTemplateId, str]:
        for template_id, text in value.items():
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            except ValueError as exc:
                raise ValueError(f"template {template_id}: {exc}") from exc
            unknown = names - MESSAGE_FIELDS
            if unknown:
                raise ValueError(
                    f"template {template_id}: unknown fields {sorted(unknown)}; "
                    f"allowed: {sorted(MESSAGE_FIELDS)}"
                )
        return dict(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Action(_Model):
    """One step of a plan, with the rule that justifies it (``why``)."""

    kind: ActionKind
    why: NonEmptyStr
    rule: NonEmptyStr
    reason: str | None = None
    reason_candidates: tuple[str, ...] = ()
    report_supplier: bool | None = None
    template_id: MessageTemplateId | None = None
    message: str | None = None
    wait_until: AwareDatetime | None = None
    advice: AdviceKind | None = None
    advice_text: str | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Self:
        kind = self.kind
        if kind in (ActionKind.CANCEL_NOW, ActionKind.REQUEST_CANCELLATION) and not self.reason:
            raise ValueError(f"{kind} needs a reason")
        if kind is ActionKind.REQUEST_CANCELLATION and self.report_supplier is None:
            raise ValueError("request_cancellation needs report_supplier (the Yes/No answer)")
        if kind is not ActionKind.REQUEST_CANCELLATION and self.report_supplier is not None:
            raise ValueError("report_supplier only belongs to request_cancellation")
        if kind is ActionKind.MESSAGE_SELLER and (self.template_id is None or not self.message):
            raise ValueError("message_seller needs template_id and message")
        if kind is ActionKind.WAIT and self.wait_until is None:
            raise ValueError("wait needs wait_until")
        if kind is ActionKind.ADVISE_USER and (self.advice is None or not self.advice_text):
            raise ValueError("advise_user needs advice and advice_text")
        return self


class CouponOutcome(_Model):
    """Whether a coupon comes back after a cancellation, and why."""

    coupon: Coupon
    returned: bool
    why: NonEmptyStr


class Plan(_Model):
    """What to do with one order now, in order, and the case status it leads to."""

    order_id: str
    status: OrderStatus
    intent: IntentKind
    decided_at: AwareDatetime
    actions: tuple[Action, ...] = Field(min_length=1)
    case_status: CaseStatus
    next_check_at: AwareDatetime | None = None
    coupons: tuple[CouponOutcome, ...] = ()

    @property
    def kinds(self) -> tuple[ActionKind, ...]:
        """The action kinds, in order (handy in tests and logs)."""
        return tuple(a.kind for a in self.actions)

    @model_validator(mode="before")
    @classmethod
    def _drop_summary(cls, data: object) -> object:
        # ``summary`` is computed; a dumped plan carries it, so accept and ignore it.
        if isinstance(data, dict) and "summary" in data:
            return {k: v for k, v in data.items() if k != "summary"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> str:
        """One line for people: the case status and the steps (also in the JSON dump)."""
        steps = ", ".join(a.kind.value for a in self.actions)
        return f"order {self.order_id} ({self.status}): {steps} -> {self.case_status}"


class Outcome(_Model):
    """The result of running a plan, for the journal and reports."""

    order_id: str
    case_status: CaseStatus
    at: AwareDatetime
    detail: str = ""
    advice: AdviceKind | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _error_iff_failed(self) -> Self:
        if self.case_status is CaseStatus.FAILED and not self.error:
            raise ValueError("a failed outcome needs the error")
        return self


class HistoryEntry(_Model):
    """One remembered event of an earlier run."""

    kind: HistoryKind
    at: AwareDatetime
    template_id: MessageTemplateId | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _template_for_message(self) -> Self:
        if self.kind is HistoryKind.MESSAGE_SENT and self.template_id is None:
            raise ValueError("message_sent needs template_id")
        return self


class CaseHistory(_Model):
    """What earlier runs did and saw for one order (from the journal)."""

    order_id: str | None = None
    entries: tuple[HistoryEntry, ...] = ()

    def with_entry(self, entry: HistoryEntry) -> CaseHistory:
        """A copy with one more entry."""
        return self.model_copy(update={"entries": (*self.entries, entry)})

    def first(self, kind: HistoryKind) -> HistoryEntry | None:
        """The earliest entry of a kind."""
        found = [e for e in self.entries if e.kind is kind]
        return min(found, key=lambda e: e.at) if found else None

    def last(self, kind: HistoryKind) -> HistoryEntry | None:
        """The latest entry of a kind."""
        found = [e for e in self.entries if e.kind is kind]
        return max(found, key=lambda e: e.at) if found else None

    @property
    def request_submitted_at(self) -> AwareDatetime | None:
        """When a cancellation request was first submitted, if ever."""
        entry = self.first(HistoryKind.REQUEST_SUBMITTED)
        return entry.at if entry else None

    def message_sent_at(self, template_id: MessageTemplateId) -> AwareDatetime | None:
        """When the message of this template was first sent, if ever."""
        sent = [
            e.at
            for e in self.entries
            if e.kind is HistoryKind.MESSAGE_SENT and e.template_id is template_id
        ]
        return min(sent) if sent else None

    @property
    def rejection_seen_at(self) -> AwareDatetime | None:
        """When a rejected cancellation was first seen, if ever."""
        entry = self.first(HistoryKind.REJECTION_SEEN)
        return entry.at if entry else None

    @property
    def last_seller_message(self) -> HistoryEntry | None:
        """The latest message from the seller seen in the chat."""
        return self.last(HistoryKind.SELLER_MESSAGE_SEEN)
