"""Scenarios built in code for the benchmark: many orders of a few kinds, two accounts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mock_site.scenario import Scenario, parse_scenario

NOW = datetime.fromisoformat("2026-06-20T12:00:00+00:00")
ACCOUNTS = [
    {"email": "alice@bench.test", "password": "alice-pass-2026", "name": "Alice"},
    {"email": "bob@bench.test", "password": "bob-pass-2026", "name": "Bob"},
]
ITEM = {
    "title": "Wireless Bluetooth 5.3 Earbuds with Charging Case",
    "options": {"Color": "Black"},
    "price": "12.99",
    "qty": 1,
}


def order_id(account_no: int, index: int) -> str:
    """16 digits: 82, the account, the index."""
    return f"82{account_no:02d}{index:012d}"


def _order(account_no: int, index: int, kind: str) -> dict[str, Any]:
    # A higher index is an older order: further down the list (sorted newest first).
    placed = NOW - timedelta(hours=1, minutes=index)
    base: dict[str, Any] = {
        "id": order_id(account_no, index),
        "account": ACCOUNTS[account_no]["email"],
        "placed_at": placed.isoformat(),
        "store": f"Bench Store {index % 7}",
        "items": [ITEM, {**ITEM, "title": "USB-C Cable 2m Braided", "price": "3.20", "qty": 2}],
        "shipping": "1.50",
    }
    if kind == "unpaid":
        return {**base, "state": "awaiting_payment"}
    paid_at = (placed + timedelta(minutes=3)).isoformat()
    if kind == "paid":
        return {**base, "state": "awaiting_shipment", "paid_at": paid_at}
    if kind == "closed":
        placed = NOW - timedelta(days=8, minutes=index)
        return {
            **base,
            "placed_at": placed.isoformat(),
            "state": "closed",
            "paid_at": (placed + timedelta(minutes=3)).isoformat(),
            "closed_reason": "seller_accepted",
            "closed_at": (NOW - timedelta(days=4)).isoformat(),
            "requested_reason": "I ordered the wrong product(s)",
            "refund_days": [0, 3, 7],
        }
    raise ValueError(kind)


def build(kinds_per_account: list[list[str]], name: str) -> dict[str, Any]:
    """A scenario dict: account n gets one order per entry of ``kinds_per_account[n]``."""
    orders = [
        _order(account_no, index, kind)
        for account_no, kinds in enumerate(kinds_per_account)
        for index, kind in enumerate(kinds)
    ]
    return {
        "name": name,
        "description": "built by benchmarks/scenario.py",
        "now": NOW.isoformat(),
        "accounts": ACCOUNTS,
        "orders": orders,
    }


def validated(data: dict[str, Any]) -> Scenario:
    return parse_scenario(data, data["name"])


def flows_scenario(per_kind: int, depth: int = 100) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Account 0: ``per_kind`` unpaid, paid and closed orders, padded to ``depth`` orders.

    Returns the scenario and the order ids by kind; ``deep`` is the oldest order (last card
    of the list, on its last page).
    """
    kinds = ["unpaid"] * per_kind + ["paid"] * per_kind + ["closed"] * per_kind
    kinds += ["paid"] * max(depth - len(kinds), 0)
    data = build([kinds, ["paid"] * 5], "bench-flows")
    ids: dict[str, list[str]] = {"unpaid": [], "paid": [], "closed": []}
    for index, kind in enumerate(kinds[: 3 * per_kind]):
        ids[kind].append(order_id(0, index))
    # closed orders are placed 8 days back: the oldest of all, so the deepest in the list
    ids["deep"] = [order_id(0, 3 * per_kind - 1)]
    return data, ids


def batch_scenario(total: int) -> tuple[dict[str, Any], list[list[str]]]:
    """``total`` orders across 2 accounts, alternating unpaid (instant) and paid (request)."""
    per_account = total // 2
    kinds = ["unpaid" if i % 2 == 0 else "paid" for i in range(per_account)]
    data = build([kinds, kinds], f"bench-batch-{total}")
    ids = [[order_id(a, i) for i in range(per_account)] for a in range(2)]
    return data, ids
