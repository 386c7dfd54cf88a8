"""Rebuild the policy's view of the past (``CaseHistory``) from the journal.

The journal stores raw facts (confirmed attempts, observations, seller messages seen);
the policy wants "when was the request submitted, which messages were sent". This module
is the translation, kept pure so it can be tested without a browser or a database file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from assistant.domain.models import (
    CaseHistory,
    HistoryEntry,
    HistoryKind,
    MessageTemplateId,
    OrderStatus,
)
from assistant.journal.kinds import AttemptOutcome, EventKind
from assistant.journal.store import Attempt, Event

#: Journal attempt keys.
KEY_CANCEL_NOW = "cancel_now"
KEY_REQUEST = "request_cancellation"
MESSAGE_PREFIX = "message:"


def message_key(template_id: MessageTemplateId) -> str:
    """The attempt key of a seller message of one template (sent at most once)."""
    return f"{MESSAGE_PREFIX}{template_id.value}"


def build_history(
    order_id: str, attempts: Iterable[Attempt], events: Iterable[Event]
) -> CaseHistory:
    """The CaseHistory the policy needs, from a case's attempts and events."""
    entries: list[HistoryEntry] = []
    for attempt in attempts:
        if attempt.outcome is not AttemptOutcome.CONFIRMED:
            continue
        if attempt.action_key == KEY_REQUEST:
            entries.append(
                HistoryEntry(kind=HistoryKind.REQUEST_SUBMITTED, at=attempt.attempted_at)
            )
        elif attempt.action_key.startswith(MESSAGE_PREFIX):
            template = MessageTemplateId(attempt.action_key.removeprefix(MESSAGE_PREFIX))
            entries.append(
                HistoryEntry(
                    kind=HistoryKind.MESSAGE_SENT, at=attempt.attempted_at, template_id=template
                )
            )
    rejection_seen = False
    for event in events:
        if event.kind is EventKind.OBSERVATION:
            status = event.payload.get("status")
            if status == OrderStatus.CANCELLATION_REJECTED and not rejection_seen:
                rejection_seen = True  # the first time is the one the policy counts from
                entries.append(HistoryEntry(kind=HistoryKind.REJECTION_SEEN, at=event.at))
        elif event.kind is EventKind.SELLER_MESSAGE:
            at = _aware(event.payload.get("at")) or event.at
            entries.append(
                HistoryEntry(
                    kind=HistoryKind.SELLER_MESSAGE_SEEN, at=at, text=event.payload.get("text")
                )
            )
    return CaseHistory(order_id=order_id, entries=tuple(sorted(entries, key=lambda e: e.at)))


def first_seen(events: Iterable[Event], status: OrderStatus) -> datetime | None:
    """When an observation first showed the order in ``status`` (e.g. when it closed)."""
    for event in events:
        if event.kind is EventKind.OBSERVATION and event.payload.get("status") == status:
            return event.at
    return None


def _aware(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None
