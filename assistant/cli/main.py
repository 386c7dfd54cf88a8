"""The ``order-assistant`` command line: the one entry point people and schedulers use.

Exit codes: 0 everything done or progressing; 1 some case needs the user (advice
printed); 2 usage or configuration error; 3 the portal failed us (changed, unreachable);
130 interrupted by the user (what was done is journaled; the rest waits for ``run``).
Imports are lazy so that ``run`` with nothing due answers without loading Playwright.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from assistant import __version__
from assistant.app.order_lists import ORDER_ID
from assistant.domain.errors import AssistantError, ConfigError

if TYPE_CHECKING:
    from assistant.app.portal_set import Session
    from assistant.app.runner import CaseReport
    from assistant.app.settings import Settings

EXIT_CODES_HELP = (
    "Exit codes: 0 done or progressing; 1 a case needs you (advice printed); "
    "2 usage or configuration error; 3 the portal failed (changed or unreachable); "
    "130 interrupted (the rest waits for the next run)."
)

app = typer.Typer(
    name="order-assistant",
    help=f"Cancel marketplace orders, message sellers and follow refunds.\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console()
err_console = Console(stderr=True)


class Options:
    """Global options given before the command (``order-assistant -v --config F run``)."""

    config: Path | None = None
    verbose: int = 0
    log_format: str = "text"
    portal: str | None = None
    headed: bool = False
    slow_mo: float | None = None
    concurrency: int | None = None
    record: Path | None = None


OPTIONS = Options()
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
AccountOption = Annotated[
    str | None, typer.Option("--account", help="Which configured account (default: the first)")
]


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"order-assistant {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version"),
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML config file (default: user config dir)")
    ] = None,
    verbose: Annotated[
        int, typer.Option("-v", "--verbose", count=True, help="-v info, -vv debug")
    ] = 0,
    log_format: Annotated[
        str, typer.Option("--log-format", help="text or json (one object per line)")
    ] = "text",
    portal: Annotated[
        str | None, typer.Option("--portal", help="Portal URL (ORDER_ASSISTANT_PORTAL_URL)")
    ] = None,
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser window")] = False,
    slow_mo: Annotated[
        float | None, typer.Option("--slow-mo", help="Slow each browser step by N ms")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", help="Orders worked on at once, one browser context each (default 2)"
        ),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option("--record", help="Record the run (HAR, trace, screenshots) into a new DIR"),
    ] = None,
) -> None:
    """Cancel marketplace orders, message sellers and follow refunds."""
    if log_format not in ("text", "json"):
        raise ConfigError(
            f"unknown log format {log_format!r}", key="--log-format", fix="use text or json"
        )
    OPTIONS.config, OPTIONS.verbose, OPTIONS.log_format = config, verbose, log_format
    OPTIONS.portal, OPTIONS.headed, OPTIONS.slow_mo = portal, headed, slow_mo
    OPTIONS.record, OPTIONS.concurrency = record, concurrency


def _session(
    settings: Settings, command: str, orders: list[str], **extra: object
) -> Session | None:
    """A recording session when ``--record DIR`` was given."""
    if OPTIONS.record is None:
        return None
    from assistant.app.portal_set import Session
    from assistant.app.schedule import make_clock
    from flows.browser.recording import Recording

    recording = Recording(
        OPTIONS.record,
        portal_url=settings.portal_url,
        command=command,
        orders=orders,
        now=make_clock(settings)(),
        extra=dict(extra),
    )
    return Session(recording=recording)


def _settings() -> Settings:
    """Settings from file + environment + global options; logging set up with redaction."""
    from assistant.app.logs import configure_logging
    from assistant.app.settings import load_settings

    overrides: dict[str, object] = {
        "portal_url": OPTIONS.portal,
        "slow_mo": OPTIONS.slow_mo,
        "concurrency": OPTIONS.concurrency,
    }
    if OPTIONS.headed:
        overrides["headless"] = False
    settings = load_settings(OPTIONS.config, **overrides)
    if settings.username and settings.password is None and sys.stdin.isatty():
        from pydantic import SecretStr

        typed = typer.prompt(f"Password for {settings.username}", hide_input=True)
        settings = settings.model_copy(update={"password": SecretStr(typed)})
    configure_logging(OPTIONS.verbose, OPTIONS.log_format, settings.secret_values())
    return settings


def _check_order_ids(order_ids: list[str]) -> list[str]:
    cleaned = []
    for raw in order_ids:
        value = raw.strip()
        if not ORDER_ID.fullmatch(value):
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise ConfigError(
                f"{shown!r} is not an order number",
                key="ORDER",
                fix='give the 12-20 digit number shown as "Order ID:" in My Orders',
            )
        cleaned.append(value)
    if not cleaned:
        raise ConfigError("no order given", key="ORDER", fix="name at least one order number")
    return list(dict.fromkeys(cleaned))  # an order named twice is done once


def _finish(reports: list[CaseReport], as_json: bool, title: str) -> None:
    from assistant.cli.render import exit_code, print_reports, reports_json

    if as_json:
        print(reports_json(reports))
    else:
        print_reports(console, reports, title)
    raise typer.Exit(exit_code(reports))


@app.command()
def doctor(as_json: JsonOption = False) -> None:
    """Check Python, Playwright, the browser that will be used, and the configuration."""
    from rich.table import Table

    from assistant.app.doctor import run_checks

    report = run_checks(_settings())
    if as_json:
        payload = {"healthy": report.healthy, "checks": [c.__dict__ for c in report.checks]}
        print(json.dumps(payload, indent=2))
    else:
        table = Table(title="order-assistant doctor", show_header=True)
        for column in ("check", "result", "detail"):
            table.add_column(column, overflow="fold")
        for check in report.checks:
            table.add_row(check.name, "[green]ok[/]" if check.ok else "[red]FAIL[/]", check.detail)
        console.print(table)
    if not report.healthy:
        raise typer.Exit(2)


@app.command()
def cancel(
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
    from pydantic import ValidationError

    from assistant.app.order_lists import read_order_list
    from assistant.app.service import cancel_orders
    from assistant.domain.models import Intent, IntentKind

    wanted = list(orders or [])
    if from_file is not None:
        wanted.extend(read_order_list(from_file))
    order_ids = _check_order_ids(wanted)
    try:
        chosen = Intent(kind=IntentKind(intent), details=details, reason=reason, message=message)
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(
            first, key="--intent", fix="use cancel, change_order (with --details) or fraud"
        ) from None
    settings = _settings()
    session = None
    if not dry_run:
        from assistant.app.service import account_for

        session = _session(
            settings,
            "cancel",
            order_ids,
            intent=chosen.model_dump(mode="json"),
            account=account_for(settings, account).username,
        )
    # A scheduled run may be working on the same journal: wait for it rather than race it.
    from assistant.journal.run_lock import RunLockedError, run_lock

    try:
        with (
            run_lock(settings.data_dir / "run.lock", wait_seconds=120),
            _progress(len(order_ids), as_json) as progress,
        ):
            reports = cancel_orders(
                settings,
                order_ids,
                chosen,
                account_name=account,
                dry_run=dry_run,
                progress=progress,
                session=session,
            )
    except RunLockedError as exc:
        err_console.print(f"{exc.message}; try again when it has finished", markup=False)
        raise typer.Exit(1) from None
    _finish(reports, as_json, "plans (dry run)" if dry_run else "cancellations")


@contextmanager
def _progress(total: int, as_json: bool) -> Iterator[Callable[[CaseReport], None]]:
    """A progress bar over a batch when a person is watching (not for --json or pipes)."""
    if as_json or total < 2 or not console.is_terminal:
        yield lambda _: None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("orders", total=total)

        def tick(report: CaseReport) -> None:
            bar.update(task, advance=1, description=f"{report.order_id}: {report.status}")

        yield tick


@app.command()
def plan(
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
    if order_file is not None:
        from assistant.app.plan_file import plan_from_file, render_plan

        settings = _settings()
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
            render_plan(result, console)
        return
    if order is None:
        raise ConfigError("give an order number or --order-file", key="ORDER", fix="see --help")
    cancel([order], None, intent, details, None, None, account, True, as_json)


@app.command()
def run(
    max_minutes: Annotated[
        float | None, typer.Option("--max-minutes", help="Time budget; the rest waits for next run")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The scheduled entry point: resume every due case (safe to call from cron often)."""
    from assistant.app.schedule import nothing_due
    from assistant.journal.run_lock import RunLockedError, run_lock

    settings = _settings()
    try:
        with run_lock(settings.data_dir / "run.lock"):
            idle, next_due = nothing_due(settings)
            if idle:
                when = next_due.isoformat(timespec="minutes") if next_due else "no open case"
                if as_json:
                    print(
                        json.dumps(
                            {"due": 0, "next_due": next_due.isoformat() if next_due else None}
                        )
                    )
                else:
                    console.print(f"nothing due (next check: {when})")
                raise typer.Exit(0)
            from assistant.app.service import run_due

            session = _session(settings, "run", [])
            reports = run_due(
                settings, max_minutes=max_minutes or settings.max_minutes, session=session
            )
    except RunLockedError as exc:
        err_console.print(f"{exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    _finish(reports, as_json, "scheduled run")


@app.command()
def status(
    order: Annotated[str | None, typer.Argument(help="Show the full history of this order")] = None,
    as_json: JsonOption = False,
) -> None:
    """The journal's cases: where each stands, what is awaited and when it is due."""
    from assistant.cli.render import print_cases, print_history
    from assistant.journal.store import open_journal

    settings = _settings()
    if not settings.journal_path.exists():
        console.print("no cases yet (the journal is created by the first cancel)")
        return
    with open_journal(settings.journal_path) as journal:
        cases = journal.cases(_check_order_ids([order])[0] if order else None)
        if order and not cases:
            raise ConfigError(
                f"no case for order {order}", key="ORDER", fix="see `status` for all cases"
            )
        if as_json:
            payload = [
                {
                    **{
                        k: v
                        for k, v in case.__dict__.items()
                        if k not in ("next_due", "created_at", "updated_at")
                    },
                    "next_due": case.next_due.isoformat() if case.next_due else None,
                    "history": [
                        {"at": e.at.isoformat(), "kind": e.kind, "payload": e.payload}
                        for e in journal.events(case.id)
                    ]
                    if order
                    else None,
                }
                for case in cases
            ]
            print(json.dumps(payload, indent=2, default=str))
        elif order:
            for case in cases:
                print_history(console, case, journal.events(case.id))
        else:
            print_cases(console, cases)


@app.command()
def orders(account: AccountOption = None, as_json: JsonOption = False) -> None:
    """List the account's orders as the portal shows them."""
    from rich.table import Table

    from assistant.app.service import list_orders

    found = list_orders(_settings(), account)
    if as_json:
        print(json.dumps([o.model_dump(mode="json") for o in found], indent=2))
        return
    table = Table(title=f"{len(found)} orders")
    for column in ("order", "status", "date", "store", "total"):
        table.add_column(column)
    for o in found:
        table.add_row(
            o.order_id,
            o.status_label,
            o.order_date.date().isoformat() if o.order_date else "",
            o.store or "",
            str(o.total or ""),
        )
    console.print(table)


@app.command()
def replay(
    folder: Annotated[Path, typer.Argument(help="A folder made with --record")],
    as_json: JsonOption = False,
) -> None:
    """Run a recorded session again with no server; say whether it reproduced the outcome."""
    from assistant.app.replay_run import replay as run_replay
    from assistant.cli.render import print_reports, reports_json

    settings = _settings()
    result = run_replay(folder, browser=settings.browser)
    if as_json:
        print(
            json.dumps(
                {
                    "reproduced": result.reproduced,
                    "differences": result.differences,
                    "not_recorded": result.not_recorded,
                    "cases": json.loads(reports_json(result.reports)),
                },
                indent=2,
            )
        )
    else:
        print_reports(console, result.reports, f"replay of {folder}")
        for line in result.differences:
            err_console.print(f"difference: {line}", markup=False)
        for request in result.not_recorded:
            err_console.print(f"not in the recording: {request}", markup=False)
        console.print(
            "reproduced the recorded outcome" if result.reproduced else "did NOT reproduce"
        )
    raise typer.Exit(0 if result.reproduced else 3)


@app.command()
def report(
    html_path: Annotated[
        Path, typer.Option("--html", help="Write a self-contained HTML report here")
    ] = Path("order-assistant-report.html"),
    order: Annotated[str | None, typer.Option("--order", help="Only this order")] = None,
) -> None:
    """Write the journal as one HTML page: each case's timeline with its screenshots."""
    from assistant.cli.html_report import write_report
    from assistant.journal.store import open_journal

    settings = _settings()
    order_id = _check_order_ids([order])[0] if order else None
    with open_journal(settings.journal_path) as journal:
        count = write_report(journal, html_path, order_id)
    console.print(f"wrote {count} case(s) to {html_path}")


@app.command("mock-portal")
def mock_portal(
    scenario: Annotated[
        str, typer.Option("--scenario", help="Bundled scenario name or JSON path")
    ] = "demo",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    control_api: Annotated[bool, typer.Option("--control-api", help="Mount /__mock__/")] = False,
) -> None:
    """Serve the bundled mock portal (open it in a browser; tests and the demo use it)."""
    from mock_site.__main__ import main as serve

    argv = ["--scenario", scenario, "--host", host, "--port", str(port)]
    raise typer.Exit(serve([*argv, "--control-api"] if control_api else argv))


def main() -> None:
    """Console-script entry point: run the app, turning our errors into clear exits."""
    try:
        app()
    except AssistantError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True, markup=False)
        sys.exit(exc.exit_code)
