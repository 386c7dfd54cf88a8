"""Working-day arithmetic across weekends and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.domain.workdays import add_working_days, is_working_day, working_days_between

UTC_ZONE = ZoneInfo("UTC")
FRIDAY = datetime(2026, 11, 13, 17, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 14, 17, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)


def test_weekend_is_skipped() -> None:
    assert add_working_days(FRIDAY, 1, UTC_ZONE) == MONDAY
    assert add_working_days(SATURDAY, 1, UTC_ZONE) == MONDAY
    assert add_working_days(FRIDAY, 0, UTC_ZONE) == FRIDAY
    assert add_working_days(MONDAY, 5, UTC_ZONE) == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def test_fifteen_working_days_is_three_calendar_weeks() -> None:
    assert add_working_days(FRIDAY, 15, UTC_ZONE) == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


def test_holidays_are_skipped() -> None:
    monday = date(2026, 11, 16)
    assert not is_working_day(monday, {monday})
    result = add_working_days(FRIDAY, 1, UTC_ZONE, holidays={monday})
    assert result == datetime(2026, 11, 17, 17, 0, tzinfo=UTC)


def test_time_zone_decides_the_weekday() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    late_friday = datetime(2026, 11, 13, 23, 30, tzinfo=UTC)  # Saturday 08:30 in Tokyo
    result = add_working_days(late_friday, 1, tokyo)
    assert result.tzinfo is tokyo
    assert result == datetime(2026, 11, 16, 8, 30, tzinfo=tokyo)
    assert add_working_days(late_friday, 1, UTC_ZONE) == datetime(2026, 11, 16, 23, 30, tzinfo=UTC)


def test_working_days_between() -> None:
    assert working_days_between(FRIDAY, MONDAY, UTC_ZONE) == 1
    assert working_days_between(MONDAY, FRIDAY, UTC_ZONE) == 0


def test_naive_and_negative_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_working_days(datetime(2026, 1, 1), 1, UTC_ZONE)
    with pytest.raises(ValueError, match=">= 0"):
        add_working_days(FRIDAY, -1, UTC_ZONE)


@pytest.mark.parametrize("days", range(0, 25))
def test_between_inverts_add(days: int) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    for start in (FRIDAY, SATURDAY, MONDAY):
        end = add_working_days(start, days, tokyo)
        assert working_days_between(start, end, tokyo) == days
        assert working_days_between(start, end - timedelta(seconds=1), tokyo) == max(days - 1, 0)
