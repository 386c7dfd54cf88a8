"""``worker``, ``beat`` and ``enqueue``: the distributed mode's commands (docs/scale-out.md).

Thin over ``assistant.app.queue_worker`` and ``assistant.app.enqueue``. Celery is
imported only when one of them runs, never by the embedded commands.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.app import app
from assistant.cli.options import AccountOption, JsonOption, Options, load_settings_for, options

if TYPE_CHECKING:
    from assistant.app.settings import Settings

#: -v and -vv as Celery's log levels.
LOG_LEVELS = {0: "WARNING", 1: "INFO"}


@app.command()
def worker(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Option("--name", help="This worker's name in leases, locks and logs"),
    ] = None,
    beat: Annotated[
        bool,
        typer.Option("--beat", help="Also enqueue the due cases periodically (one worker only)"),
    ] = False,
    every: Annotated[
        float, typer.Option("--every", help="Seconds between the beat's enqueues", min=1)
    ] = 60.0,
) -> None:
    """Work cases from the queue (Celery on Redis) until stopped; run one per core."""
    from assistant.app.queue_worker import run_worker

    opts = options(ctx)
    settings = load_settings_for(opts, ask_password=False)
    _redact_urls(opts, settings)
    code = run_worker(
        settings,
        name=name,
        beat_every=every if beat else None,
        loglevel=LOG_LEVELS.get(opts.verbose, "DEBUG"),
    )
    raise typer.Exit(code)


@app.command()
def beat(
    ctx: typer.Context,
    every: Annotated[
        float, typer.Option("--every", help="Seconds between the enqueues", min=1)
    ] = 60.0,
) -> None:
    """Enqueue the due cases periodically, for the workers (one beat per deployment)."""
    from assistant.app.queue import run_beat

    opts = options(ctx)
    settings = load_settings_for(opts, ask_password=False)
    _redact_urls(opts, settings)
    raise typer.Exit(
        run_beat(settings, every=every, loglevel=LOG_LEVELS.get(opts.verbose, "DEBUG"))
    )


@app.command()
def enqueue(
    ctx: typer.Context,
    orders: Annotated[
        list[str] | None, typer.Argument(help="Orders to open as new cases first (optional)")
    ] = None,
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Put the due cases on the queue for the workers (new orders first become cases)."""
    enqueue_and_report(options(ctx), orders=list(orders or []), account=account, as_json=as_json)


def enqueue_and_report(
    opts: Options, *, orders: list[str], account: str | None, as_json: bool
) -> None:
    """Open the named orders' cases, queue every due case, and say how many were sent
    (``enqueue``, and ``run --queue`` with no orders)."""
    from assistant.app.enqueue import enqueue_due_cases, open_cases
    from assistant.app.queue import broker_url, redis_client
    from assistant.app.service import account_for
    from assistant.cli.options import order_numbers
    from assistant.domain.models import Intent

    settings = load_settings_for(opts, ask_password=False)
    _redact_urls(opts, settings)
    broker_url(settings)  # no broker: say so before anything is opened
    redis_client(settings).close()  # unreachable: nothing opened, nothing queued
    if orders:
        who = account_for(settings, account).username
        open_cases(settings, order_numbers(orders), Intent(), who)
    sent = enqueue_due_cases(settings)
    if as_json:
        print(json.dumps({"queued": sent}))
    else:
        opts.console.print(f"queued {sent} due case(s)")


def _redact_urls(opts: Options, settings: Settings) -> None:
    """Logging again, the broker's and the journal's URLs redacted too."""
    from assistant.app.logs import configure_logging
    from assistant.app.queue import queue_secrets

    configure_logging(
        opts.verbose, opts.log_format, settings.secret_values() + queue_secrets(settings)
    )
