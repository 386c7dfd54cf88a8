"""The numbers of DOMAIN.md as named constants, and working-day arithmetic.

The policy's timing decisions (when the cancel button is due, when the seller's time is
up, when a refund is overdue) all come from here, so each number lives in one place and
its boundary can be tested. Working days depend on the calendar of a place, so the time
zone is always explicit: a weekend in Tokyo is not the same instant as one in Lisbon.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

#: An unpaid order closes by itself this long after it was placed.
UNPAID_AUTO_CLOSE = timedelta(days=20)
#: Guide 002: the "Cancel order" button appears this long after payment.
CANCEL_BUTTON_DELAY = timedelta(hours=24)
#: How often to look again for a cancel button that is overdue (the guides disagree).
CANCEL_BUTTON_RETRY = timedelta(hours=6)
#: The seller's time to answer a cancellation request; silence counts as accepted.
SELLER_ANSWER_DEADLINE = timedelta(days=15)
#: Grace after the seller's deadline before a still-pending request goes to the user.
DEADLINE_GRACE = timedelta(days=2)
#: The seller's usual answer time to a message about a cancelled shipment.
SHIPMENT_CANCEL_ANSWER = timedelta(days=7)
#: The official refund limit, counted from the order's closing.
REFUND_LIMIT_WORKING_DAYS = 15

_SATURDAY = 5


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    """True for Monday to Friday, unless the day is one of ``holidays``."""
    return day.weekday() < _SATURDAY and day not in holidays


def add_working_days(
    start: datetime,
    days: int,
    tz: ZoneInfo,
    holidays: Collection[date] = (),
) -> datetime:
    """The instant ``days`` working days after ``start``, counted in time zone ``tz``.

    Keeps the local time of day; weekends (and ``holidays``) are skipped, so Friday + 1
    working day and Saturday + 1 working day are both Monday at the same clock time.
    ``start`` must be aware; the result is aware, in ``tz``.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    if days < 0:
        raise ValueError("days must be >= 0")
    local = start.astimezone(tz)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            remaining -= 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)


def working_days_between(
    start: datetime, end: datetime, tz: ZoneInfo, holidays: Collection[date] = ()
) -> int:
    """How many whole working days have passed from ``start`` to ``end`` (in ``tz``).

    The inverse of ``add_working_days``: the largest n with ``add_working_days(start, n)
    <= end``.
    """
    if end <= start:
        return 0
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    count = sum(
        1
        for offset in range(1, (local_end.date() - local_start.date()).days + 1)
        if is_working_day(local_start.date() + timedelta(days=offset), holidays)
    )
    # The last working day only counts once its clock time has been reached.
    if count and add_working_days(start, count, tz, holidays) > end:
        count -= 1
    return count
