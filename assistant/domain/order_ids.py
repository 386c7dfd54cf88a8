"""The one order-number rule: 12 to 20 ASCII digits, as the portal shows it after "Order ID:".

Every entry point checks order numbers here (the ``Order`` model, order files, the CLI's
arguments), so they cannot disagree. ASCII only: Python's ``\\d`` and ``str.isdigit`` also
accept fullwidth and other Unicode digits, which no portal URL or search box matches.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["ORDER_ID_HINT", "ORDER_ID_PATTERN", "OrderId", "parse_order_id"]

#: The accepted shape: 12-20 ASCII digits, nothing else.
ORDER_ID_PATTERN = re.compile(r"[0-9]{12,20}", re.ASCII)
#: How to put it right, for error messages.
ORDER_ID_HINT = 'the 12-20 digit number shown as "Order ID:" in My Orders'


def parse_order_id(value: str) -> str:
    """The order number with surrounding whitespace trimmed; ValueError if it is not one.

    The message quotes the value (cut to 40 characters) and says what is expected, so
    callers can pass it on as it is (a ``ConfigError`` in the CLI, a validation error in
    a model).
    """
    cleaned = value.strip()
    if not ORDER_ID_PATTERN.fullmatch(cleaned):
        shown = cleaned if len(cleaned) <= 40 else cleaned[:37] + "..."
        raise ValueError(f"{shown!r} is not an order number (expected {ORDER_ID_HINT})")
    return cleaned


#: An order number field for pydantic models (trimmed, ASCII digits only).
OrderId = Annotated[str, AfterValidator(parse_order_id)]
