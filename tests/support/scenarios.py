"""A bundled mock-portal scenario as a dict, changed by a test before ``portal.reset(...)``.

One loader for every test package: the tests start from the scenario files the mock
portal ships and state only what they change.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from mock_site.scenario import SCENARIO_DIR


def scenario(
    name: str, *, first_order: dict[str, Any] | None = None, **changes: Any
) -> dict[str, Any]:
    """The bundled scenario ``name`` (a fresh copy), with top-level ``changes`` and
    ``first_order`` merged into its first order (``first_order={"seller": {...}}``)."""
    data: dict[str, Any] = json.loads((SCENARIO_DIR / f"{name}.json").read_text("utf-8"))
    data.update(changes)
    if first_order:
        data["orders"][0].update(first_order)
    return data


def unpaid_orders(count: int, **changes: Any) -> dict[str, Any]:
    """``awaiting_payment`` with ``count`` unpaid orders of its one account (each cancelled
    at once by "Cancel order"), newest first: ids ``UNPAID_PREFIX`` + the index."""
    data = scenario("awaiting_payment", **changes)
    first = data["orders"][0]
    placed = datetime.fromisoformat(first["placed_at"])
    data["orders"] = [
        {**first, "id": unpaid_id(n), "placed_at": (placed - timedelta(minutes=n)).isoformat()}
        for n in range(count)
    ]
    return data


def unpaid_id(index: int) -> str:
    """The order number of ``unpaid_orders``' order ``index`` (16 digits)."""
    return f"8311{index:012d}"
