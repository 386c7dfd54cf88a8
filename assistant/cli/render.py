"""How results look: rich tables for people, JSON for machines, and the exit code.

Kept out of the CLI so the same rendering serves ``cancel``, ``run`` and ``status``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.app.runner import CaseReport
from assistant.domain.kinds import CaseStatus
from assistant.journal.store import Case, Cooldown, Event

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
    """3 if the portal failed us, else 2 for bad input, else 1 if a case needs the user,
    else 75 (``EX_TEMPFAIL``) if an account cools down after an anti-bot check."""
    codes = {r.exit_code for r in reports}
    for code in (3, 2, 1, 75):
        if code in codes:
            return code
    return 0


def _when(moment: datetime | None) -> str:
    """A moment as people read it in a table: date and minutes, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else ""


def reports_json(reports: Sequence[CaseReport]) -> str:
    """The reports as a JSON document (``CaseReport.as_dict``, the one serialisation)."""
    return json.dumps([r.as_dict() for r in reports], indent=2)


def _order_column(table: Table) -> None:
    # 16-20 digits that a person copies: never broken over two lines.
    table.add_column("order", no_wrap=True, min_width=16)


def _status(status: CaseStatus, shown: str | None = None) -> str:
    style = STATUS_STYLE.get(status, "")
    text = escape(shown or status.value)
    return f"[{style}]{text}[/]" if style else text


def _details(console: Console, rows: Sequence[tuple[str, list[str]]]) -> None:
    """What does not fit a table cell (what was done, advice, errors, evidence), below the
    table: one block per order, the text wrapped beside the number, not into a tower."""
    rows = [(order_id, lines) for order_id, lines in rows if lines]
    if not rows:
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, min_width=16)
    grid.add_column(overflow="fold")
    for order_id, lines in rows:
        grid.add_row(order_id, "\n".join(lines))
    console.print(grid)


def print_reports(console: Console, reports: Sequence[CaseReport], title: str) -> None:
    """One row per order (where it stands, when it is looked at again), then per order what
    was done and what the user should do."""
    table = Table(title=title)
    _order_column(table)
    table.add_column("status", no_wrap=True)
    table.add_column("next check (UTC)", no_wrap=True)
    details: list[tuple[str, list[str]]] = []
    for r in reports:
        table.add_row(r.order_id, _status(r.case_status, r.status), _when(r.next_due))
        lines = [escape(line) for line in r.done]
        lines += [f"[bold]advice:[/] {escape(a)}" for a in r.advice]
        if r.error:
            lines.append(f"[red]error: {escape(r.error)}[/]")
        if r.screenshot:
            lines.append(f"screenshot: {escape(r.screenshot)}")
        if r.trace:
            lines.append(f"trace: {escape(r.trace)}")
        if r.plan and not r.done and r.planned:
            lines.append("plan: " + escape(", ".join(a.kind.value for a in r.plan.actions)))
        details.append((r.order_id, lines))
    console.print(table)
    _details(console, details)


def print_cases(console: Console, cases: Sequence[Case]) -> None:
    """The journal's cases, one row each, their advice below (``status ORDER``: history)."""
    accounts = sorted({case.account for case in cases})
    title = "cases" if len(accounts) != 1 else f"cases of {accounts[0]}"
    table = Table(title=title)
    if len(accounts) > 1:
        table.add_column("account", overflow="fold")
    _order_column(table)
    table.add_column("status", no_wrap=True)
    table.add_column("waiting for", overflow="fold")
    table.add_column("next check (UTC)", no_wrap=True)
    for case in cases:
        row = [case.order_id, _status(case.status), case.waiting_for or "", _when(case.next_due)]
        table.add_row(*([case.account, *row] if len(accounts) > 1 else row))
    console.print(table)
    _details(
        console,
        [(c.order_id, [f"[bold]advice:[/] {escape(c.advice)}"] if c.advice else []) for c in cases],
    )


def print_cooldowns(console: Console, cooldowns: Sequence[Cooldown]) -> None:
    """The accounts left alone after an anti-bot check, and until when."""
    for cooldown in cooldowns:
        console.print(
            f"[bold magenta]cooling down:[/] account {escape(cooldown.account)} after the "
            f"portal's anti-bot check ({escape(cooldown.reason)}), until "
            f"{_when(cooldown.until)} UTC ({cooldown.minutes:g} min): nothing is opened for "
            "it before then",
            highlight=False,
        )


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
