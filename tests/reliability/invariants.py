"""What must hold after every command of the campaign, checked against the portal's own state.

The portal's state comes from its control API snapshot; the journal is read the way an
operator would read it (``status --json`` or a read-only sqlite3 connection), never
through the assistant's code.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.domain.models import DEFAULT_REASONS
from assistant.domain.reasons import blames_seller, normalise_reason

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
    """The cases, attempts and events of the journal file, and why it could not be read.

    ``problems`` is not empty when the file exists but cannot be read as a journal (not a
    database, corrupt, tables missing after a command that was not killed): an unreadable
    journal is a violation, never an empty one.
    """

    cases: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path | str, *, may_be_empty: bool = False) -> JournalView:
        """Read the journal; ``may_be_empty``: the last command was killed (or none ran).

        Only then may a missing file, or one without tables (killed before the first
        migration committed), read as an empty journal. ``path`` may be a PostgreSQL URL
        (the campaign's ``--journal postgres``): the same rows, read with psycopg.
        """
        if isinstance(path, str):
            return cls._read_postgres(path, may_be_empty=may_be_empty)
        if not path.exists():
            return cls([], [], problems=[] if may_be_empty else [f"no journal at {path}"])
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        except sqlite3.Error as exc:
            return cls([], [], problems=[f"the journal cannot be opened: {exc}"])
        db.row_factory = sqlite3.Row
        try:
            cases = [dict(r) for r in db.execute("SELECT * FROM cases ORDER BY id")]
            attempts = [
                {**dict(r), "payload": json.loads(r["payload"]), "order_id": r["order_id"]}
                for r in db.execute(
                    "SELECT a.*, c.order_id FROM attempts a JOIN cases c ON c.id = a.case_id"
                    " ORDER BY a.id"
                )
            ]
            events = [
                {**dict(r), "payload": json.loads(r["payload"])}
                for r in db.execute(
                    "SELECT e.*, c.order_id FROM events e JOIN cases c ON c.id = e.case_id"
                    " ORDER BY e.id"
                )
            ]
        except sqlite3.OperationalError as exc:
            tables = _tables(db)
            if may_be_empty and not tables:  # killed before the first migration committed
                return cls([], [])
            return cls([], [], problems=[f"the journal cannot be read: {exc} (tables {tables})"])
        except (sqlite3.DatabaseError, ValueError) as exc:
            return cls([], [], problems=[f"the journal cannot be read: {exc}"])
        finally:
            db.close()
        return cls(cases, attempts, events)

    @classmethod
    def _read_postgres(cls, url: str, *, may_be_empty: bool) -> JournalView:
        """The same view of a PostgreSQL journal: times as ISO text, as SQLite stores them."""
        import psycopg
        from psycopg.rows import dict_row

        try:
            db = psycopg.connect(url, row_factory=dict_row, connect_timeout=10)
        except psycopg.Error as exc:
            return cls([], [], problems=[f"the journal cannot be opened: {exc}"])
        try:
            present = db.execute("SELECT to_regclass('cases') IS NOT NULL AS t").fetchone()
            if not (present and present["t"]):
                if may_be_empty:  # killed before the first migration committed
                    return cls([], [])
                return cls([], [], problems=["the journal has no tables"])
            cases = [_iso_times(r) for r in db.execute("SELECT * FROM cases ORDER BY id")]
            attempts = [
                {**_iso_times(r), "payload": json.loads(r["payload"])}
                for r in db.execute(
                    "SELECT a.*, c.order_id FROM attempts a JOIN cases c ON c.id = a.case_id"
                    " ORDER BY a.id"
                )
            ]
            events = [
                {**_iso_times(r), "payload": json.loads(r["payload"])}
                for r in db.execute(
                    "SELECT e.*, c.order_id FROM events e JOIN cases c ON c.id = e.case_id"
                    " ORDER BY e.id"
                )
            ]
        except (psycopg.Error, ValueError) as exc:
            return cls([], [], problems=[f"the journal cannot be read: {exc}"])
        finally:
            db.close()
        return cls(cases, attempts, events)


def _iso_times(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _tables(db: sqlite3.Connection) -> list[str]:
    try:
        return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    except sqlite3.Error:
        return ["(unreadable)"]


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
        problems.extend(_reason_and_report(order_id, ours))
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


#: The reasons a run may give (the domain's default preference list, no fraud intent).
PREFERRED = {normalise_reason(r) for r in DEFAULT_REASONS}


def _reason_and_report(order_id: str, ours: list[dict[str, Any]]) -> list[str]:
    """The portal's record of each request: a preferred reason that does not blame the
    seller (rule 2) and "No" to the report question (rule 3; the campaign never says fraud).
    """
    problems = []
    for request in ours:
        reason = request.get("reason")
        if request.get("refusal") and not request["accepted"] and reason is None:
            continue  # refused before a reason was given (too early, already pending)
        if reason is None or blames_seller(reason) or normalise_reason(reason) not in PREFERRED:
            problems.append(f"{order_id}: the portal recorded the reason {reason!r}")
        paid = request.get("state_before") == "awaiting_shipment"
        if request.get("report") == "yes" or (
            paid and request["accepted"] and request.get("report") != "no"
        ):
            problems.append(
                f"{order_id}: the report answer on the portal is {request.get('report')!r}"
            )
    return problems


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def check_events(journal: JournalView, state: dict[str, Any]) -> list[str]:
    """Every seller reply and refund step the portal showed when a case was last looked at
    is in that case's events.

    A case's last plan (``events.at`` is the portal's clock) marks an observation that
    completed: by then, every seller message older than it had to be journaled if we had
    written to the seller before (from then on every observation reads the thread), and
    the refund steps done by then had to be in a refund reading of that run.
    """
    problems = []
    for case in journal.cases:
        mine = [e for e in journal.events if e["case_id"] == case["id"]]
        plans = [_at(e["at"]) for e in mine if e["kind"] == "plan"]
        order = state["orders"].get(case["order_id"])
        if not plans or order is None:
            continue
        seen = max(p for p in plans if p is not None)
        oid = case["order_id"]
        wrote = [
            a
            for a in journal.attempts
            if a["case_id"] == case["id"]
            and a["action_key"].startswith("message:")
            and a["outcome"] == "confirmed"
            and (_at(a["confirmed_at"]) or seen) < seen
        ]
        if wrote:
            journaled = {
                _norm(str(e["payload"].get("text", "")))
                for e in mine
                if e["kind"] == "seller_message"
            }
            for message in order["messages"]:
                at = _at(message["time"])
                seller = message["author"] == "seller" and at is not None and at < seen
                if seller and _norm(message["text"]) not in journaled:
                    problems.append(
                        f"{oid}: the seller's reply {message['text'][:40]!r} is not journaled"
                    )
        closed = _at(order["closed_at"])
        steps = order["refund_steps"]
        if steps and closed is not None and closed < seen:
            done = sum(1 for s in steps if s and (_at(s) or seen) <= seen)
            readings = [
                sum(1 for step in e["payload"].get("steps", []) if step.get("done"))
                for e in mine
                if e["kind"] == "refund" and _at(e["at"]) == seen
            ]
            if done and not any(n >= done for n in readings):
                problems.append(
                    f"{oid}: {done} refund step(s) done on the portal, journaled {readings}"
                )
    return problems


#: Portal states that must not remain after clean runs for an order we were asked to cancel.
UNPAID_STATES = {"awaiting_payment", "payment_verifying"}


def check_progress(state: dict[str, Any], journal: JournalView, asked: set[str]) -> list[str]:
    """After the final fault-free runs, each asked order reached its expected next state.

    From DOMAIN.md and the policy: an unpaid order is cancelled at once (closed); an order
    awaiting shipment has our request (accepted by the portal, even if it later dropped
    it); a rejected request or a cancelled shipment has our message to the seller. Shipped,
    completed, closed and requested orders need nothing more from a run. An order whose
    case needs the user for the account (a sign-in challenge) is left to the user.
    """
    problems = []
    cases = {c["order_id"]: c for c in journal.cases}
    for oid in sorted(asked):
        order = state["orders"][oid]
        case = cases.get(oid)
        if case is None or (case["status"] == "needs_user" and "sign" in (case["advice"] or "")):
            continue
        ours = [r for r in _ours(order["cancellation_requests"]) if r["accepted"]]
        wrote = any(m["author"] == "buyer" for m in order["messages"])
        where = f"{oid} (portal {order['state']}, case {case['status']})"
        if order["state"] in UNPAID_STATES:
            problems.append(f"{where}: an unpaid order was not cancelled")
        elif order["state"] == "awaiting_shipment" and not order["rejected"] and not ours:
            problems.append(f"{where}: cancellable, but no request on the portal")
        elif (order["rejected"] or order["state"] == "shipment_canceled") and not wrote:
            problems.append(f"{where}: the seller was never written to")
    return problems
