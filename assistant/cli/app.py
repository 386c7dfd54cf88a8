"""The Typer application: the root command, its global options, and how errors end a run.

Exists so that every command group (``cancel.py``, ``follow_up.py``, ``portal.py``,
``replay.py``) registers on one app without importing the others, and so that the
assistant's own errors become the documented exit codes in one place, the same for the
console script and for a test that runs the app in-process with Typer's ``CliRunner``.

Exit codes: 0 everything done or progressing; 1 some case needs the user (advice
printed); 2 usage or configuration error; 3 the portal failed us (changed, unreachable);
75 an account cools down after an anti-bot check (``EX_TEMPFAIL``: try again later);
130 interrupted by the user (what was done is journaled; the rest waits for ``run``).
Imports are lazy so that ``run`` with nothing due answers without loading Playwright.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from assistant import __version__
from assistant.cli.options import Options
from assistant.domain.errors import AssistantError, ConfigError

EXIT_CODES_HELP = (
    "Exit codes: 0 done or progressing; 1 a case needs you (advice printed); "
    "2 usage or configuration error; 3 the portal failed (changed or unreachable); "
    "75 an account cools down after the portal's anti-bot check (try later); "
    "130 interrupted (the rest waits for the next run)."
)


class AssistantGroup(TyperGroup):
    """The root group: an ``AssistantError`` becomes one line on stderr and its exit code,
    and global options are accepted after the command too (``cancel ID --portal URL``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._hoisted(ctx, args))

    def _hoisted(self, ctx: Any, args: list[str]) -> list[str]:
        """``args`` with the global options given after the command moved before it.

        An option the command has itself (none today) stays where it is, and nothing after
        ``--`` is touched.
        """
        # Typer's parameters are its vendored click's, so asked by attribute, not by class.
        takes_value = {
            name: not (getattr(param, "is_flag", False) or getattr(param, "count", False))
            for param in self.params
            if param.param_type_name == "option"
            for name in param.opts
        }

        def option_of(arg: str) -> tuple[str, int]:
            """The option's name (``-vv`` counts as ``-v``) and how many words it takes."""
            name = arg.split("=", 1)[0]
            if name.startswith("-v") and set(name[1:]) == {"v"}:
                name = "-v"
            return name, 2 if takes_value.get(name) and "=" not in arg else 1

        front: list[str] = []
        index = 0
        while index < len(args) and args[index].startswith("-") and args[index] != "--":
            width = option_of(args[index])[1]
            front += args[index : index + width]
            index += width
        if index >= len(args) or args[index] == "--":
            return args
        command = self.get_command(ctx, args[index])
        own = {name for p in (command.params if command else []) for name in p.opts}
        moved: list[str] = []
        rest: list[str] = [args[index]]
        tail = args[index + 1 :]
        position = 0
        while position < len(tail):
            arg = tail[position]
            if arg == "--":
                rest += tail[position:]
                break
            name, width = option_of(arg)
            if name in takes_value and name not in own:
                if position + width > len(tail):
                    raise typer.BadParameter(
                        "needs a value (the last word had none)", param_hint=name
                    )
                moved += tail[position : position + width]
                position += width
                continue
            rest.append(arg)
            position += 1
        return [*front, *moved, *rest]

    # `Any`: the Context this overrides is Typer's vendored click one, a private type.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AssistantError as exc:
            Console(stderr=True).print(
                f"error: {exc}", highlight=False, soft_wrap=True, markup=False
            )
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    name="order-assistant",
    cls=AssistantGroup,
    help=f"Cancel marketplace orders, message sellers and follow refunds.\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version_callback(value: bool) -> None:
    if value:
        Console().print(f"order-assistant {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
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
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="Portal profile: en, es, mock-en or a JSON file (default: detected from the page)",
        ),
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
    ctx.obj = Options(
        config=config,
        verbose=verbose,
        log_format=log_format,
        portal=portal,
        profile=profile,
        headed=headed,
        slow_mo=slow_mo,
        concurrency=concurrency,
        record=record,
    )
