"""The vocabularies of the domain: order states, portal buttons, intents, action kinds.

Kept apart from ``assistant.domain.models`` so the models module stays about the shapes and their
rules; every name here is re-exported by ``assistant.domain.models``, import from there.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Every order state of DOMAIN.md, plus ``unknown`` for a label we do not recognise."""

    AWAITING_PAYMENT = "awaiting_payment"
    PAYMENT_VERIFYING = "payment_verifying"
    AWAITING_SHIPMENT = "awaiting_shipment"
    CANCELLATION_REQUESTED = "cancellation_requested"
    CANCELLATION_REJECTED = "cancellation_rejected"
    SHIPPED = "shipped"
    SHIPMENT_CANCELED = "shipment_canceled"
    CLOSED = "closed"
    COMPLETED = "completed"
    UNKNOWN = "unknown"


class PortalAction(StrEnum):
    """The buttons the portal offers on an order (what the buyer can do right now)."""

    CANCEL = "cancel"
    CONTACT_SELLER = "contact_seller"
    PAY = "pay"
    TRACK = "track"
    FREE_RETURN = "free_return"
    OPEN_DISPUTE = "open_dispute"
    CONFIRM_RECEIVED = "confirm_received"
    ADD_TO_CART = "add_to_cart"
    WRITE_REVIEW = "write_review"
    DELETE = "delete"


class CouponKind(StrEnum):
    """Who funded a discount: it decides whether it comes back after a cancellation."""

    PLATFORM = "platform"
    SELLER = "seller"
    PROMO_CODE = "promo_code"


class CancellationAnswer(StrEnum):
    """The seller's answer to a cancellation request."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class CancelledBy(StrEnum):
    """Who cancelled a closed order (sellers and the platform may cancel on their own)."""

    BUYER = "buyer"
    SELLER = "seller"
    PLATFORM = "platform"


class IntentKind(StrEnum):
    """What the user wants to achieve with an order."""

    CANCEL = "cancel"
    CHANGE_ORDER = "change_order"
    FRAUD = "fraud"


class ActionKind(StrEnum):
    """One step of a plan."""

    CANCEL_NOW = "cancel_now"
    REQUEST_CANCELLATION = "request_cancellation"
    MESSAGE_SELLER = "message_seller"
    WAIT = "wait"
    CHECK_SELLER_ANSWER = "check_seller_answer"
    POLL_REFUND = "poll_refund"
    ADVISE_USER = "advise_user"
    NOTHING = "nothing"


class AdviceKind(StrEnum):
    """What the assistant tells the user to do themselves."""

    FREE_RETURN = "free_return"
    DISPUTE = "dispute"
    SUPPORT = "support"
    REORDER = "reorder"
    CONTACT_SELLER = "contact_seller"
    CHECK_MANUALLY = "check_manually"


class MessageTemplateId(StrEnum):
    """The seller message templates (text in ``assistant.domain.messages``)."""

    CANCEL_REQUEST = "cancel_request"
    DONT_SHIP = "dont_ship"
    AFTER_REJECTION = "after_rejection"
    SHIPPED = "shipped"
    SHIPMENT_CANCELED = "shipment_canceled"
    CHANGE_ORDER = "change_order"


#: Named fields a message template may use (``str.format`` style).
MESSAGE_FIELDS: frozenset[str] = frozenset(
    {"order_id", "store", "reason", "change", "buyer_name", "signature"}
)


class CaseStatus(StrEnum):
    """Where a case stands, for the journal and reports (the journal stores the values)."""

    #: Journaled, not looked at yet (a batch killed before reaching it leaves it so).
    NEW = "new"
    DONE_CANCELLED = "done_cancelled"
    DONE_REFUNDED = "done_refunded"
    NOTHING_TO_DO = "nothing_to_do"
    #: The account has no such order: a wrong number stays wrong, so the case is closed.
    NOT_FOUND = "not_found"
    WAITING_SELLER = "waiting_seller"
    WAITING_REFUND = "waiting_refund"
    WAITING_CANCEL_BUTTON = "waiting_cancel_button"
    NEEDS_USER = "needs_user"
    FAILED = "failed"

    @property
    def closed(self) -> bool:
        """Nothing more is scheduled for a case in this state: it is never looked at again."""
        return self in (
            CaseStatus.DONE_CANCELLED,
            CaseStatus.DONE_REFUNDED,
            CaseStatus.NOTHING_TO_DO,
            CaseStatus.NOT_FOUND,
        )


#: The closed case states, derived from ``CaseStatus.closed`` (e.g. for SQL parameters).
CLOSED_CASE_STATES: frozenset[CaseStatus] = frozenset(s for s in CaseStatus if s.closed)


class HistoryKind(StrEnum):
    """Things earlier runs did or saw that the policy must remember (and reads)."""

    REQUEST_SUBMITTED = "request_submitted"
    MESSAGE_SENT = "message_sent"
    REJECTION_SEEN = "rejection_seen"
    SELLER_MESSAGE_SEEN = "seller_message_seen"
