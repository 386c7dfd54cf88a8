"""``cancel`` and ``plan``: the commands that start cases, and the dry run of one.

Kept together because ``plan ORDER`` is a dry-run ``cancel`` of one order: both call
``work_on_orders`` with keyword arguments, never one command the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from assistant.cli.app import app
from assistant.cli.options import (
    AccountOption,
    JsonOption,
    Options,
    finish,
    load_settings_for,
    options,
    order_numbers,
    recording_session,
    reports_kept,
)
from assistant.domain.errors import AssistantError, ConfigError

if TYPE_CHECKING:
    from assistant.app.runner import CaseReport
    from assistant.domain.models import Intent

#: How long a ``cancel`` waits for a scheduled ``run`` holding the journal to finish.
LOCK_WAIT_SECONDS = 120


def _intent(
    kind: str, *, details: str | None, reason: str | None = None, message: str | None = None
) -> Intent:
    """The user's intent, or a ConfigError that says which intents exist."""
    from pydantic import ValidationError

    from assistant.domain.models import Intent, IntentKind

    try:
        return Intent(kind=IntentKind(kind), details=details, reason=reason, message=message)
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(
            first, key="--intent", fix="use cancel, change_order (with --details) or fraud"
        ) from None


def work_on_orders(
    opts: Options,
    *,
    order_ids: list[str],
    intent: Intent,
    account: str | None,
    dry_run: bool,
    as_json: bool,
) -> NoReturn:
    """Observe, plan and (unless ``dry_run``) act on checked orders; report and exit."""
    from assistant.app.service import account_for, cancel_orders
    from assistant.journal.run_lock import RunLockedError, run_lock

    settings = load_settings_for(opts)
    session = None
    if not dry_run:
        session = recording_session(
            opts,
            settings,
            "cancel",
            order_ids,
            intent=intent.model_dump(mode="json"),
            account=account_for(settings, account).username,
        )
    title = "plans (dry run)" if dry_run else "cancellations"
    # A scheduled run may be working on the same journal: wait for it rather than race it.
    try:
        with (
            run_lock(settings.data_dir / "run.lock", wait_seconds=LOCK_WAIT_SECONDS),
            _progress(opts, len(order_ids), as_json) as tick,
            reports_kept(opts, as_json, title, then=tick) as progress,
        ):
            reports = cancel_orders(
                settings,
                order_ids,
                intent,
                account_name=account,
                dry_run=dry_run,
                progress=progress,
                session=session,
            )
    except RunLockedError as exc:
        opts.err_console.print(f"{exc.message}; try again when it has finished", markup=False)
        raise typer.Exit(1) from None
    finish(opts, reports, as_json, title)


@contextmanager
def _progress(opts: Options, total: int, as_json: bool) -> Iterator[Callable[[CaseReport], None]]:
    """A progress bar over a batch when a person is watching (not for --json or pipes)."""
    if as_json or total < 2 or not opts.console.is_terminal:
        yield lambda _: None
        return
    from rich.progress import Progress

    with Progress(console=opts.console, transient=True) as bar:
        task = bar.add_task("orders", total=total)

        def tick(report: CaseReport) -> None:
            bar.update(task, advance=1, description=f"{report.order_id}: {report.status}")

        yield tick


@app.command()
def cancel(
    ctx: typer.Context,
    orders: Annotated[list[str] | None, typer.Argument(help="Order numbers")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="orders.csv (order_id column) or .json list")
    ] = None,
    intent: Annotated[
        str,
        typer.Option("--intent", help="cancel, change_order or fraud (fraud reports the seller)"),
    ] = "cancel",
    details: Annotated[
        str | None, typer.Option("--details", help="The change (change_order)")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Preferred reason, exact text")
    ] = None,
    message: Annotated[
        str | None, typer.Option("--message", help="Your own text to the seller")
    ] = None,
    account: AccountOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan, click nothing")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Cancel orders now (or request their cancellation), message the sellers, journal it."""
    from assistant.app.order_lists import read_order_list

    wanted = list(orders or [])
    if from_file is not None:
        wanted.extend(read_order_list(from_file))
    order_ids = order_numbers(wanted)
    chosen = _intent(intent, details=details, reason=reason, message=message)
    work_on_orders(
        options(ctx),
        order_ids=order_ids,
        intent=chosen,
        account=account,
        dry_run=dry_run,
        as_json=as_json,
    )


@app.command()
def plan(
    ctx: typer.Context,
    order: Annotated[
        str | None, typer.Argument(help="Order number (live, nothing clicked)")
    ] = None,
    order_file: Annotated[
        Path | None, typer.Option("--order-file", help="Plan for an order described in a JSON file")
    ] = None,
    intent: Annotated[
        str, typer.Option("--intent", help="cancel, change_order or fraud")
    ] = "cancel",
    details: Annotated[
        str | None, typer.Option("--details", help="The change (change_order)")
    ] = None,
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show what the assistant would do with an order, and why. Nothing is clicked."""
    opts = options(ctx)
    if order_file is not None:
        from assistant.app.plan_file import plan_from_file, render_plan

        settings = load_settings_for(opts)
        try:
            result = plan_from_file(order_file, intent, settings.now, details=details)
        except AssistantError:
            raise
        except ValueError as exc:
            raise ConfigError(
                str(exc), key="--intent", fix="use cancel, change_order or fraud"
            ) from None
        if as_json:
            print(result.model_dump_json(indent=2))
        else:
            render_plan(result, opts.console)
        return
    if order is None:
        raise ConfigError("give an order number or --order-file", key="ORDER", fix="see --help")
    work_on_orders(
        opts,
        order_ids=order_numbers([order]),
        intent=_intent(intent, details=details),
        account=account,
        dry_run=True,
        as_json=as_json,
    )
