"""Turning the portal's visible text into values: money, dates, durations, label rows.

Reading "Label: value" out of an element's visible text (rather than out of its markup)
is what lets the same flows read a portal with other HTML and the same words.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from assistant.domain.models import Money

_CURRENCIES = {"US $": "USD", "$": "USD", "€": "EUR", "£": "GBP", "EUR": "EUR", "USD": "USD"}
_MONEY = re.compile(r"(-)?\s*(US \$|\$|€|£|EUR|USD)\s?([\d,]+(?:\.\d{1,2})?)")
_DATETIME = re.compile(r"([A-Z][a-z]{2} \d{1,2}, \d{4})(?:,? (\d{1,2}:\d{2}))?")
_DURATION = re.compile(
    r"(?:(\d+) days?)?\s*(?:(\d+) hours?)?\s*(?:(\d+) minutes?)?|less than an hour"
)


def parse_money(text: str) -> Money | None:
    """The first amount in a text ("Total: US $12.34" -> USD 12.34), or None."""
    found = _MONEY.search(text)
    if not found:
        return None
    try:
        amount = Decimal(found.group(3).replace(",", ""))
    except InvalidOperation:
        return None
    return Money(amount=amount, currency=_CURRENCIES[found.group(2)])


def parse_datetime(text: str) -> datetime | None:
    """The first date ("Jun 1, 2026" or "Jun 1, 2026 14:05") in a text, as aware UTC."""
    found = _DATETIME.search(text)
    if not found:
        return None
    day, clock = found.group(1), found.group(2) or "00:00"
    return datetime.strptime(f"{day} {clock}", "%b %d, %Y %H:%M").replace(tzinfo=UTC)


def parse_duration(text: str) -> timedelta | None:
    """A duration such as "14 days 23 hours" or "less than an hour" inside a text."""
    for found in _DURATION.finditer(text):
        if found.group(0) == "less than an hour":
            return timedelta(minutes=30)
        days, hours, minutes = (int(g) if g else 0 for g in found.groups())
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
