"""What every command shares: the global options, the settings they lead to, checked input.

The global options (``order-assistant -v --config F run``) are parsed once by the root
callback in ``app.py`` into an immutable ``Options`` kept in Typer's context (``ctx.obj``),
so no command reads or writes module state, and a test can run the CLI in-process again
and again without one invocation leaking into the next.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from assistant.domain.errors import AssistantError, ConfigError
from assistant.domain.order_ids import ORDER_ID_HINT, parse_order_id

if TYPE_CHECKING:
    from assistant.app.portal_set import Session
    from assistant.app.runner import CaseReport
    from assistant.app.settings import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
AccountOption = Annotated[
    str | None, typer.Option("--account", help="Which configured account (default: the first)")
]


@dataclass(frozen=True)
class Options:
    """Global options given before the command, and the consoles of this invocation.

    The consoles are made per invocation (not at import) so that they follow the
    terminal, or the test runner's captured streams, of the run at hand.
    """

    config: Path | None = None
    verbose: int = 0
    log_format: str = "text"
    portal: str | None = None
    profile: str | None = None
    headed: bool = False
    slow_mo: float | None = None
    concurrency: int | None = None
    record: Path | None = None
    console: Console = field(default_factory=Console)
    err_console: Console = field(default_factory=lambda: Console(stderr=True))


def options(ctx: typer.Context) -> Options:
    """The ``Options`` the root callback stored (defaults when a command runs on its own)."""
    found = ctx.find_object(Options)
    return found if found is not None else Options()


def load_settings_for(opts: Options, *, ask_password: bool = True) -> Settings:
    """Settings from file + environment + global options; logging set up with redaction.

    At a terminal, a username without a password (in the configuration, the environment or
    the keyring) is asked for one, unless the command needs none (``ask_password``) or the
    account has a saved session (``login``).
    """
    from assistant.app.logs import configure_logging
    from assistant.app.settings import load_settings

    # setting -> (the global option that set it, its value)
    given: dict[str, tuple[str, object]] = {
        "portal_url": ("--portal", opts.portal),
        "portal_profile": ("--profile", opts.profile),
        "slow_mo": ("--slow-mo", opts.slow_mo),
        "concurrency": ("--concurrency", opts.concurrency),
        "headless": ("--headed", False if opts.headed else None),
    }
    try:
        settings = load_settings(opts.config, **{k: v for k, (_, v) in given.items()})
    except ConfigError as exc:
        flag, value = given.get(exc.key or "", ("", None))
        if value is None:
            raise
        # The bad value came from the command line, not from the file or the environment.
        raise ConfigError(exc.problem, key=flag, fix=f"correct the {flag} option") from None
    if (
        ask_password
        and settings.username
        and sys.stdin.isatty()
        and settings.all_accounts()[0].resolved_password() is None  # config, env, keyring
        and not _has_saved_session(settings, settings.username)
    ):
        from pydantic import SecretStr

        typed = typer.prompt(f"Password for {settings.username}", hide_input=True)
        settings = settings.model_copy(update={"password": SecretStr(typed)})
    configure_logging(opts.verbose, opts.log_format, settings.secret_values())
    return settings


def _has_saved_session(settings: Settings, username: str) -> bool:
    from assistant.app.portal_set import saved_session

    return saved_session(settings, username, None).exists


def recording_session(
    opts: Options, settings: Settings, command: str, orders: list[str], **extra: object
) -> Session | None:
    """A recording session when ``--record DIR`` was given, else None."""
    if opts.record is None:
        return None
    if settings.journal_url is not None:
        # A recording keeps (and its replay restores) a copy of the SQLite journal file.
        raise ConfigError(
            "--record keeps a copy of the local SQLite journal, and journal_url names a "
            "shared PostgreSQL journal",
            key="--record",
            fix="record on one machine with the default journal (unset journal_url)",
        )
    from assistant.app.portal_set import Session
    from assistant.app.schedule import make_clock
    from flows.browser.recording import Recording

    recording = Recording(
        opts.record,
        portal_url=settings.portal_url,
        command=command,
        orders=orders,
        now=make_clock(settings)(),
        extra=dict(extra),
    )
    return Session(recording=recording)


def order_numbers(given: Sequence[str]) -> list[str]:
    """The order numbers as typed, checked by the domain's one rule, each once, in order."""
    cleaned = []
    for raw in given:
        try:
            cleaned.append(parse_order_id(raw))
        except ValueError as exc:
            raise ConfigError(str(exc), key="ORDER", fix=f"give {ORDER_ID_HINT}") from None
    if not cleaned:
        raise ConfigError("no order given", key="ORDER", fix="name at least one order number")
    return list(dict.fromkeys(cleaned))  # an order named twice is done once


def finish(opts: Options, reports: list[CaseReport], as_json: bool, title: str) -> NoReturn:
    """Print the reports (table or JSON) and leave with the exit code they call for."""
    from assistant.cli.render import exit_code

    _print_reports(opts, reports, as_json, title)
    raise typer.Exit(exit_code(reports))


@contextmanager
def reports_kept(
    opts: Options,
    as_json: bool,
    title: str,
    then: Callable[[CaseReport], None] = lambda _: None,
) -> Iterator[Callable[[CaseReport], None]]:
    """A progress callback that keeps each order's report as it is done (and passes it
    to ``then``). When a failure stops the whole command (the journal lost, Ctrl-C, the
    browser gone) the orders done before it are printed ahead of the error, so a script
    reading ``--json`` still learns what was done; the exit code stays the error's."""
    done: list[CaseReport] = []

    def keep(report: CaseReport) -> None:
        done.append(report)
        then(report)

    try:
        yield keep
    except AssistantError:
        if done:
            _print_reports(opts, done, as_json, f"{title} done before the stop")
        raise


def _print_reports(opts: Options, reports: list[CaseReport], as_json: bool, title: str) -> None:
    from assistant.cli.render import print_reports, reports_json

    if as_json:
        print(reports_json(reports))
    else:
        print_reports(opts.console, reports, title)
