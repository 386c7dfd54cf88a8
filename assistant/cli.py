"""The ``order-assistant`` command line: the one entry point people and schedulers use.

Exit codes: 0 everything done or progressing; 1 some case needs the user (advice
printed); 2 usage or configuration error; 3 the portal failed us after retries.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant import __version__
from assistant.errors import AssistantError

EXIT_CODES_HELP = (
    "Exit codes: 0 done or progressing; 1 a case needs you (advice printed); "
    "2 usage or configuration error; 3 the portal failed (changed or unreachable)."
)

app = typer.Typer(
    name="order-assistant",
    help=f"Cancel marketplace orders, message sellers and follow refunds.\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="TOML config file (default: user config dir)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


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
) -> None:
    """Cancel marketplace orders, message sellers and follow refunds."""


@app.command()
def doctor(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Check Python, Playwright, the browser that will be used, and the configuration."""
    from assistant.doctor import run_checks
    from assistant.settings import load_settings

    settings = load_settings(config)
    report = run_checks(settings)
    if as_json:
        payload = {
            "healthy": report.healthy,
            "checks": [c.__dict__ for c in report.checks],
        }
        console.print_json(json.dumps(payload))
    else:
        table = Table(title="order-assistant doctor", show_header=True)
        table.add_column("check")
        table.add_column("result")
        table.add_column("detail", overflow="fold")
        for check in report.checks:
            table.add_row(check.name, "[green]ok[/]" if check.ok else "[red]FAIL[/]", check.detail)
        console.print(table)
    if not report.healthy:
        raise typer.Exit(2)


def main() -> None:
    """Console-script entry point: run the app, turning our errors into clear exits."""
    try:
        app()
    except AssistantError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
