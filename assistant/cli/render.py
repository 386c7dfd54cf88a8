"""How results look: rich tables for people, JSON for machines, and the exit code.

Kept out of the CLI so the same rendering serves ``cancel``, ``run`` and ``status``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.app.runner import CaseReport
from assistant.domain.kinds import CaseStatus
from assistant.journal.store import Case, Event

#: The colour of each case status in tables and the HTML report.
STATUS_STYLE: dict[CaseStatus, str] = {
    CaseStatus.DONE_CANCELLED: "green",
    CaseStatus.DONE_REFUNDED: "green",
    CaseStatus.NOTHING_TO_DO: "green",
    CaseStatus.WAITING_SELLER: "yellow",
    CaseStatus.WAITING_REFUND: "yellow",
    CaseStatus.WAITING_CANCEL_BUTTON: "yellow",
    CaseStatus.NEEDS_USER: "bold magenta",
    CaseStatus.FAILED: "bold red",
}


def exit_code(reports: Sequence[CaseReport]) -> int:
    """3 if the portal failed us, else 2 for bad input, else 1 if a case needs the user."""
    codes = {r.exit_code for r in reports}
    for code in (3, 2, 1):
        if code in codes:
            return code
    return 0


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment else ""


def reports_json(reports: Sequence[CaseReport]) -> str:
    """The reports as a JSON document (``CaseReport.as_dict``, the one serialisation)."""
    return json.dumps([r.as_dict() for r in reports], indent=2)


def print_reports(console: Console, reports: Sequence[CaseReport], title: str) -> None:
    """One row per order: where it stands, what was done, what the user should do."""
    table = Table(title=title, show_lines=True)
    for column in ("order", "status", "done now", "advice / error", "next check"):
        table.add_column(column, overflow="fold")
    for r in reports:
        style = STATUS_STYLE.get(r.case_status, "")
        notes = [escape(a) for a in r.advice]
        if r.error:
            notes.append(f"[red]{escape(r.error)}[/]")
        if r.screenshot:
            notes.append(f"screenshot: {escape(r.screenshot)}")
        if r.trace:
            notes.append(f"trace: {escape(r.trace)}")
        if r.plan and not r.done and r.planned:
            notes.append(escape(", ".join(a.kind.value for a in r.plan.actions)))
        table.add_row(
            r.order_id,
            f"[{style}]{escape(r.status)}[/]" if style else escape(r.status),
            escape("\n".join(r.done)),
            "\n".join(notes),
            _when(r.next_due),
        )
    console.print(table)


def print_cases(console: Console, cases: Sequence[Case]) -> None:
    """The journal's cases, one row each."""
    table = Table(title="cases")
    for column in ("account", "order", "status", "waiting for", "next check", "advice"):
        table.add_column(column, overflow="fold")
    for case in cases:
        style = STATUS_STYLE.get(case.status, "")
        table.add_row(
            case.account,
            case.order_id,
            f"[{style}]{case.status}[/]" if style else case.status,
            case.waiting_for or "",
            _when(case.next_due),
            escape(case.advice or ""),
        )
    console.print(table)


def print_history(console: Console, case: Case, events: Sequence[Event]) -> None:
    """A case's timeline: observations, plans, actions, messages, refund readings."""
    table = Table(title=f"order {case.order_id} ({case.account}): {case.status}")
    table.add_column("when")
    table.add_column("what")
    table.add_column("details", overflow="fold")
    for event in events:
        table.add_row(_when(event.at), event.kind, escape(_summary(event.kind, event.payload)))
    console.print(table)


def _summary(kind: str, payload: dict[str, Any]) -> str:
    if kind == "observation":
        return f"{payload.get('label')} (offers: {', '.join(payload.get('actions') or [])})"
    if kind == "plan":
        steps = [a["kind"] for a in payload.get("actions", [])]
        return f"{', '.join(steps)} -> {payload.get('case_status')}"
    if kind == "refund":
        steps = payload.get("steps", [])
        return " / ".join(f"{s['name']}: {'done' if s['done'] else 'pending'}" for s in steps)
    if kind in ("message", "seller_message", "advice"):
        return str(payload.get("text"))
    return json.dumps(payload, default=str)
