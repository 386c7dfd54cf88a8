"""``order-assistant plan --order-file FILE.json``: plan for an order described in a file.

Lets a person (or a test) see what the assistant would do with an order without a browser.
A malformed file is the user's to fix, so the error names the file, the field and why.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.domain.errors import ConfigError
from assistant.domain.models import CaseHistory, Intent, IntentKind, Order, Plan, Preferences
from assistant.domain.policy import decide


class OrderFileError(ConfigError, ValueError):
    """An order file cannot be read or does not describe a valid order."""

    def __init__(self, path: Path, problem: str, *, field: str | None = None) -> None:
        where = f"{path}: field {field!r}" if field else str(path)
        super().__init__(problem, key=where, fix="correct the order file and run again")
        self.path = path
        self.field = field


def load_order(path: Path) -> Order:
    """Read and validate an ``Order`` from a JSON file; errors name the file and field."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OrderFileError(path, f"cannot read the file ({exc.strerror})") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise OrderFileError(
            path, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    try:
        return Order.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise OrderFileError(path, f"{first['msg']}{more}", field=field) from exc


def plan_from_file(
    path: Path,
    intent_kind: str = "cancel",
    now: datetime | None = None,
    *,
    details: str | None = None,
    history: CaseHistory | None = None,
    preferences: Preferences | None = None,
) -> Plan:
    """Load the order in ``path`` and decide the plan for ``intent_kind`` at ``now``.

    ``now`` defaults to the current UTC time and must be aware; ``details`` is the change
    for the ``change_order`` intent.
    """
    try:
        kind = IntentKind(intent_kind)
    except ValueError as exc:
        allowed = ", ".join(k.value for k in IntentKind)
        raise ValueError(f"unknown intent {intent_kind!r}; choose one of: {allowed}") from exc
    try:
        intent = Intent(kind=kind, details=details)
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"]) from exc
    order = load_order(path)
    moment = now if now is not None else datetime.now(UTC)
    return decide(order, intent, history, moment, preferences)


def render_plan(plan: Plan, console: Console) -> None:
    """Print a plan for people: one table row per action, with its justification."""
    table = Table(title=escape(plan.summary), show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("action")
    table.add_column("details")
    table.add_column("why")
    for number, action in enumerate(plan.actions, start=1):
        details: list[str] = []
        if action.reason:
            details.append(f"reason: {action.reason}")
        if action.report_supplier is not None:
            details.append(f"report supplier: {'Yes' if action.report_supplier else 'No'}")
        if action.template_id:
            details.append(f"message ({action.template_id}): {action.message}")
        if action.wait_until:
            details.append(f"until {action.wait_until.isoformat(timespec='minutes')}")
        if action.advice:
            details.append(f"{action.advice}: {action.advice_text}")
        table.add_row(
            str(number), action.kind.value, escape("\n".join(details)), escape(action.why)
        )
    console.print(table)
    for outcome in plan.coupons:
        verdict = "comes back" if outcome.returned else "does not come back"
        console.print(
            f"coupon {outcome.coupon.kind} {outcome.coupon.amount}: {verdict} — {outcome.why}"
        )
    if plan.next_check_at is not None:
        console.print(f"next check: {plan.next_check_at.isoformat(timespec='minutes')}")
