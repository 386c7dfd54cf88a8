"""Turning the portal's visible text into values: money, dates, durations, label rows.

Reading "Label: value" out of an element's visible text (rather than out of its markup)
is what lets the same flows read a portal with other HTML and the same words.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from assistant.domain.models import Money

_CURRENCIES = {"US $": "USD", "$": "USD", "€": "EUR", "£": "GBP", "EUR": "EUR", "USD": "USD"}
_ENGLISH_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


class Formats(BaseModel):
    """How a portal's language writes dates, amounts and durations (a profile's ``formats``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    months: tuple[str, ...] = Field(default=_ENGLISH_MONTHS, min_length=12, max_length=12)
    #: "mdy": "Jun 1, 2026"; "dmy": "1 jun 2026" (a comma or "de" between parts is allowed)
    date_order: str = Field(default="mdy", pattern="^(mdy|dmy)$")
    decimal: str = Field(default=".", min_length=1, max_length=1)
    day: tuple[str, ...] = Field(
        default=(
            "day",
            "days",
        )
    )
    hour: tuple[str, ...] = Field(
        default=(
            "hour",
            "hours",
        )
    )
    minute: tuple[str, ...] = Field(
        default=(
            "minute",
            "minutes",
        )
    )
    less_than_an_hour: tuple[str, ...] = Field(default=("less than an hour",))


ENGLISH = Formats()


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def _money_re(decimal: str) -> re.Pattern[str]:
    thousands = "," if decimal == "." else r"\.\s\u00a0"
    return re.compile(
        rf"(-)?\s*(US \$|\$|€|£|EUR|USD)\s?(\d[\d{thousands}]*(?:{re.escape(decimal)}\d{{1,2}})?)"
    )


@cache
def _date_re(formats: Formats) -> re.Pattern[str]:
    months = _alternatives(formats.months)
    clock = r"(?:,? (\d{1,2}:\d{2}))?"
    if formats.date_order == "mdy":
        body = rf"(?P<month>{months})\.? (?P<day>\d{{1,2}}),? (?P<year>\d{{4}})"
    else:
        body = rf"(?P<day>\d{{1,2}}),? (?:de )?(?P<month>{months})\.?,? (?:de )?(?P<year>\d{{4}})"
    return re.compile(rf"(?<!\w){body}{clock}", re.IGNORECASE)


@cache
def _duration_re(formats: Formats) -> re.Pattern[str]:
    day, hour, minute = (_alternatives(w) for w in (formats.day, formats.hour, formats.minute))
    less = _alternatives(formats.less_than_an_hour)
    return re.compile(
        rf"(?:(\d+) (?:{day})\b)?\s*(?:(\d+) (?:{hour})\b)?\s*(?:(\d+) (?:{minute})\b)?|({less})",
        re.IGNORECASE,
    )


def parse_money(text: str, formats: Formats = ENGLISH) -> Money | None:
    """The first amount in a text ("Total: US $12.34" -> USD 12.34), or None."""
    found = _money_re(formats.decimal).search(text)
    if not found:
        return None
    number = found.group(3)
    number = re.sub(r"[^\d" + re.escape(formats.decimal) + "]", "", number)
    try:
        amount = Decimal(number.replace(formats.decimal, "."))
    except InvalidOperation:
        return None
    return Money(amount=amount, currency=_CURRENCIES[found.group(2)])


def parse_datetime(text: str, formats: Formats = ENGLISH) -> datetime | None:
    """The first date ("Jun 1, 2026", "1 jun 2026 14:05", ...) in a text, as aware UTC."""
    found = _date_re(formats).search(text)
    if not found:
        return None
    wanted = found.group("month").casefold()
    month = next(i for i, m in enumerate(formats.months, 1) if m.casefold() == wanted)
    hour, minute = (int(x) for x in (found.group(4) or "00:00").split(":"))
    return datetime(
        int(found.group("year")), month, int(found.group("day")), hour, minute, tzinfo=UTC
    )


def parse_duration(text: str, formats: Formats = ENGLISH) -> timedelta | None:
    """A duration such as "14 days 23 hours" or "less than an hour" inside a text."""
    for found in _duration_re(formats).finditer(text):
        if found.group(4):
            return timedelta(minutes=30)
        days, hours, minutes = (int(g) if g else 0 for g in found.groups()[:3])
        if days or hours or minutes:
            return timedelta(days=days, hours=hours, minutes=minutes)
    return None


def value_after(text: str, labels: list[str]) -> str | None:
    """The text that follows a label on the same or the next line ("Order ID:\\n123" -> "123")."""
    for label in labels:
        index = text.find(label)
        if index < 0:
            continue
        rest = text[index + len(label) :].lstrip(" \t:\n")
        line = rest.split("\n", 1)[0].strip()
        if line:
            return line
    return None


def row_value(text: str, labels: list[str]) -> str | None:
    """The value of a "label value" row: rest of the label's own line, else the next line.

    Lines must *start* with the label, so "Subtotal" never answers for "Total".
    """
    rows = lines(text)
    for label in labels:
        bare = label.rstrip(":")
        for index, line in enumerate(rows):
            if line in (label, bare):
                return rows[index + 1] if index + 1 < len(rows) else None
            for prefix in (label + " ", bare + ": ", bare + " "):
                if line.startswith(prefix):
                    return line[len(prefix) :].strip(" :") or None
    return None


def lines(text: str) -> list[str]:
    """Non-empty, stripped lines of a visible text."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def digits(text: str) -> str:
    """Only the digits of a text (order numbers come with "Copy" and spaces around)."""
    return re.sub(r"\D", "", text)
