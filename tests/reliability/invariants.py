"""What must hold after every command of the campaign, checked against the portal's own state.

The portal's state comes from its control API snapshot; the journal is read the way an
operator would read it (``status --json`` or a read-only sqlite3 connection), never
through the assistant's code.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CANCEL_KEYS = {"cancel_now", "request_cancellation"}
WAITING = {"waiting_seller", "waiting_refund", "waiting_cancel_button"}
DONE = {"done_cancelled", "done_refunded", "nothing_to_do", "not_found"}
#: Portal states in which a cancellation we confirmed can be (the seller may act after it).
AFTER_CANCEL = {
    "cancellation_requested",
    "cancellation_rejected",
    "closed",
    "shipped",
    "shipment_canceled",
}


@dataclass(frozen=True)
class JournalView:
    """The cases and attempts of the journal file (empty when there is none)."""

    cases: list[dict[str, Any]]
    attempts: list[dict[str, Any]]

    @classmethod
    def read(cls, path: Path) -> JournalView:
        if not path.exists():
            return cls([], [])
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            cases = [dict(r) for r in db.execute("SELECT * FROM cases ORDER BY id")]
            attempts = [
                {**dict(r), "payload": json.loads(r["payload"]), "order_id": r["order_id"]}
                for r in db.execute(
                    "SELECT a.*, c.order_id FROM attempts a JOIN cases c ON c.id = a.case_id"
                )
            ]
        except sqlite3.OperationalError:  # killed before the first migration committed
            return cls([], [])
        finally:
            db.close()
        return cls(cases, attempts)


def _ours(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if not r.get("preexisting")]


def _norm(text: str) -> str:
    return " ".join(text.split())


def check_portal(state: dict[str, Any], asked: set[str]) -> list[str]:
    """At most one request and one copy of each message per order; nothing unasked; no "yes"."""
    problems = []
    for order_id, order in state["orders"].items():
        ours = _ours(order["cancellation_requests"])
        accepted = [r for r in ours if r["accepted"]]
        if len(accepted) > 1:
            problems.append(f"{order_id}: {len(accepted)} accepted cancellation requests")
        if len(ours) > 1:
            refusals = [r.get("refusal") for r in ours]
            problems.append(f"{order_id}: {len(ours)} cancellation POSTs (refusals {refusals})")
        if any(r.get("report") == "yes" for r in ours):
            problems.append(f"{order_id}: answered 'Yes' to the report question")
        texts = Counter(_norm(m["text"]) for m in order["messages"] if m["author"] == "buyer")
        for text, count in texts.items():
            if count > 1:
                problems.append(f"{order_id}: message sent {count} times: {text[:60]!r}")
        if order_id not in asked and (ours or texts):
            problems.append(f"{order_id}: touched but never asked for ({len(ours)} requests)")
    return problems


def check_journal(journal: JournalView, state: dict[str, Any], *, interrupted: bool) -> list[str]:
    """Every case in a correct state, and the journal agreeing with the portal.

    ``interrupted``: the last command was killed, so attempts may be left open.
    """
    problems = []
    orders = state["orders"]
    for case in journal.cases:
        oid, status = case["order_id"], case["status"]
        where = f"{oid} ({status})"
        if status in WAITING and not case["next_due"]:
            problems.append(f"{where}: waiting without a next_due")
        elif status == "needs_user" and not case["advice"]:
            problems.append(f"{where}: needs the user but gives no advice")
        elif status == "failed" and not (case["next_due"] and case["advice"]):
            problems.append(f"{where}: failed without an error and a retry time")
        elif status not in WAITING | DONE | {"needs_user", "failed", "new"}:
            problems.append(f"{where}: unknown case status")
        elif status == "new" and not interrupted:
            problems.append(f"{where}: left 'new' by a command that was not killed")
        portal = orders.get(oid)
        if portal is None:
            problems.append(f"{where}: the portal has no such order")
            continue
        if (
            status in ("done_cancelled", "done_refunded", "waiting_refund")
            and portal["state"] != "closed"
        ):
            problems.append(
                f"{where}: the journal says cancelled, the portal says {portal['state']}"
            )
        if status == "done_refunded" and not all(portal["refund_steps"] or [None]):
            problems.append(f"{where}: done_refunded but the portal's refund is not complete")
    for attempt in journal.attempts:
        oid, key = attempt["order_id"], attempt["action_key"]
        portal = orders.get(oid, {})
        if attempt["outcome"] == "confirmed":
            if key in CANCEL_KEYS:
                accepted = [r for r in portal.get("cancellation_requests", []) if r["accepted"]]
                if not accepted and portal.get("state") not in AFTER_CANCEL:
                    problems.append(f"{oid}: journal confirms {key}, the portal has none")
            elif key.startswith("message:"):
                text = _norm(str(attempt["payload"].get("text", "")))
                sent = [_norm(m["text"]) for m in portal.get("messages", [])]
                if text not in sent:
                    problems.append(f"{oid}: journal confirms {key}, the portal has no such text")
        elif attempt["outcome"] is None and not interrupted:
            case = next(c for c in journal.cases if c["id"] == attempt["case_id"])
            if case["status"] not in ("failed", "needs_user"):
                problems.append(f"{oid}: attempt {key} left open in a {case['status']} case")
    problems.extend(_unjournaled(journal, orders, interrupted))
    return problems


def _unjournaled(journal: JournalView, orders: dict[str, Any], interrupted: bool) -> list[str]:
    """Every change we made on the portal has its attempt in the journal (written first)."""
    problems = []
    for oid, order in orders.items():
        keys = {a["action_key"] for a in journal.attempts if a["order_id"] == oid}
        if any(r["accepted"] for r in _ours(order["cancellation_requests"])) and not (
            keys & CANCEL_KEYS
        ):
            problems.append(f"{oid}: a cancellation on the portal that the journal never wrote")
        texts = {
            _norm(str(a["payload"].get("text", "")))
            for a in journal.attempts
            if a["order_id"] == oid and a["action_key"].startswith("message:")
        }
        for message in order["messages"]:
            if message["author"] == "buyer" and _norm(message["text"]) not in texts:
                problems.append(f"{oid}: a message on the portal the journal never wrote")
    del interrupted  # the attempt is committed before the click, killed or not
    return problems


def check_settled(journal: JournalView, asked: dict[str, list[str]]) -> list[str]:
    """After the final clean run: nothing open, nothing failed, every asked order a case."""
    problems = [
        f"{a['order_id']}: attempt {a['action_key']} still open after a clean run"
        for a in journal.attempts
        if a["outcome"] is None
    ]
    known = {(c["account"], c["order_id"]): c for c in journal.cases}
    for account, ids in asked.items():
        for oid in ids:
            case = known.get((account, oid))
            if case is None:
                problems.append(f"{oid}: asked for but no case in the journal")
            elif case["status"] == "failed":
                problems.append(f"{oid}: still failed after a clean run: {case['advice']}")
    return problems
