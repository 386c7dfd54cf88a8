"""``run``, ``status`` and ``report``: following the cases the journal already holds.

The scheduled ``run`` resumes what is due; ``status`` and ``report`` only read the journal
(no browser), for a person at a terminal or for a file to send on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.app import app
from assistant.cli.options import (
    JsonOption,
    finish,
    load_settings_for,
    options,
    order_numbers,
    recording_session,
    reports_kept,
)
from assistant.domain.errors import ConfigError
from assistant.journal.store import Cooldown


@app.command()
def run(
    ctx: typer.Context,
    max_minutes: Annotated[
        float | None, typer.Option("--max-minutes", help="Time budget; the rest waits for next run")
    ] = None,
    queue: Annotated[
        bool,
        typer.Option("--queue", help="Put the due cases on the queue for the workers instead"),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The scheduled entry point: resume every due case (safe to call from cron often)."""
    if queue:
        from assistant.cli.queue import enqueue_and_report

        enqueue_and_report(options(ctx), orders=[], account=None, as_json=as_json)
        return
    from assistant.app.schedule import nothing_due
    from assistant.journal.run_lock import RunLockedError, run_lock

    opts = options(ctx)
    settings = load_settings_for(opts)
    try:
        with run_lock(settings.data_dir / "run.lock"):
            idle, next_due = nothing_due(settings)
            if idle:
                when = next_due.isoformat(timespec="minutes") if next_due else "no open case"
                if as_json:
                    due = {"due": 0, "next_due": next_due.isoformat() if next_due else None}
                    print(json.dumps(due))
                else:
                    opts.console.print(f"nothing due (next check: {when})")
                raise typer.Exit(0)
            from assistant.app.service import run_due

            session = recording_session(opts, settings, "run", [])
            with reports_kept(opts, as_json, "scheduled run") as progress:
                reports = run_due(
                    settings,
                    max_minutes=max_minutes or settings.max_minutes,
                    progress=progress,
                    session=session,
                )
    except RunLockedError as exc:
        opts.err_console.print(f"{exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    finish(opts, reports, as_json, "scheduled run")


@app.command()
def status(
    ctx: typer.Context,
    order: Annotated[str | None, typer.Argument(help="Show the full history of this order")] = None,
    as_json: JsonOption = False,
) -> None:
    """The journal's cases: where each stands, what is awaited and when it is due."""
    from assistant.app.schedule import make_clock
    from assistant.cli.render import print_cases, print_cooldowns, print_history
    from assistant.journal.store import journal_exists, open_journal

    opts = options(ctx)
    order_id = order_numbers([order])[0] if order is not None else None
    settings = load_settings_for(opts)
    if not journal_exists(settings.journal_location):
        if order_id:
            raise ConfigError(
                f"no case for order {order_id}", key="ORDER", fix="see `status` for all cases"
            )
        if as_json:
            print("[]")  # the machine format stays JSON, also with nothing in it
        else:
            opts.console.print("no cases yet (the journal is created by the first cancel)")
        return
    with open_journal(settings.journal_location) as journal:
        cases = journal.cases(order_id)
        now = make_clock(settings)()
        cooling = {c.account: c for c in journal.cooldowns() if c.active(now)}
        if order_id and not cases:
            raise ConfigError(
                f"no case for order {order_id}", key="ORDER", fix="see `status` for all cases"
            )
        if as_json:
            payload = [
                {
                    **{
                        k: v
                        for k, v in case.__dict__.items()
                        if k not in ("next_due", "created_at", "updated_at", "lease_until")
                    },
                    "next_due": case.next_due.isoformat() if case.next_due else None,
                    "lease_until": case.lease_until.isoformat() if case.lease_until else None,
                    "cooldown": _cooldown_json(cooling.get(case.account)),
                    "history": [
                        {"at": e.at.isoformat(), "kind": e.kind, "payload": e.payload}
                        for e in journal.events(case.id)
                    ]
                    if order_id
                    else None,
                }
                for case in cases
            ]
            print(json.dumps(payload, indent=2, default=str))
        elif order_id:
            for case in cases:
                print_history(opts.console, case, journal.events(case.id))
        else:
            print_cases(opts.console, cases)
        if not as_json:
            print_cooldowns(opts.console, list(cooling.values()))


def _cooldown_json(cooldown: Cooldown | None) -> dict[str, object] | None:
    if cooldown is None:
        return None
    return {
        "until": cooldown.until.isoformat(),
        "since": cooldown.started_at.isoformat(),
        "minutes": cooldown.minutes,
        "reason": cooldown.reason,
    }


@app.command()
def report(
    ctx: typer.Context,
    html_path: Annotated[
        Path, typer.Option("--html", help="Write a self-contained HTML report here")
    ] = Path("order-assistant-report.html"),
    order: Annotated[str | None, typer.Option("--order", help="Only this order")] = None,
) -> None:
    """Write the journal as one HTML page: each case's timeline with its screenshots."""
    from assistant.cli.html_report import write_report
    from assistant.journal.store import open_journal

    opts = options(ctx)
    order_id = order_numbers([order])[0] if order is not None else None
    settings = load_settings_for(opts)
    with open_journal(settings.journal_location) as journal:
        count = write_report(journal, html_path, order_id)
    opts.console.print(f"wrote {count} case(s) to {html_path}")
