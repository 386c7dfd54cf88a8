"""``orders``, ``probe``, ``doctor`` and ``mock-portal``: the portal and the machine,
outside any case.

``orders`` lists what the portal shows; ``probe`` checks the portal against the profile,
read-only; ``doctor`` checks Python, Playwright, the browser
and the configuration; ``mock-portal`` serves the bundled portal, whose web stack is an
optional extra (``order-assistant[mock]``) and is imported only here, only when asked.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from assistant.cli.app import app
from assistant.cli.options import AccountOption, JsonOption, load_settings_for, options
from assistant.domain.errors import ConfigError

#: What ``order-assistant mock-portal`` needs beyond the assistant itself.
MOCK_EXTRA_FIX = "pip install 'order-assistant[mock]'"


@app.command()
def doctor(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Check Python, Playwright, the browser that will be used, and the configuration."""
    from rich.table import Table

    from assistant.app.doctor import run_checks

    opts = options(ctx)
    report = run_checks(load_settings_for(opts))
    if as_json:
        payload = {"healthy": report.healthy, "checks": [c.__dict__ for c in report.checks]}
        print(json.dumps(payload, indent=2))
    else:
        table = Table(title="order-assistant doctor", show_header=True)
        for column in ("check", "result", "detail"):
            table.add_column(column, overflow="fold")
        for check in report.checks:
            table.add_row(check.name, "[green]ok[/]" if check.ok else "[red]FAIL[/]", check.detail)
        opts.console.print(table)
    if not report.healthy:
        raise typer.Exit(2)


@app.command()
def probe(
    ctx: typer.Context,
    order: Annotated[
        str | None, typer.Argument(help="The order to open (default: the list's first card)")
    ] = None,
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check the portal against the profile, read-only: sign in, list, card, detail, chat.

    Nothing that changes an order is clicked. Exit 0 when every text and control the
    flows need was found, 3 when something is missing (each named with the texts looked
    for): run it after the site changes and before the first real cancellation.
    """
    from rich.table import Table

    from assistant.app.service import probe_portal
    from assistant.cli.options import order_numbers

    opts = options(ctx)
    order_id = order_numbers([order])[0] if order is not None else None
    report = probe_portal(load_settings_for(opts), account, order_id)
    if as_json:
        print(json.dumps({**report.model_dump(mode="json"), "ok": report.ok}, indent=2))
    else:
        title = f"probe of {report.portal_url} (profile {report.profile})"
        table = Table(title=title, show_lines=True)
        for column in ("step", "result", "found", "missing"):
            table.add_column(column, overflow="fold")
        for done in report.steps:
            missing = [*done.missing, *([done.error] if done.error else [])]
            table.add_row(
                done.name,
                "[green]ok[/]" if done.ok else "[red]MISSING[/]",
                "\n".join(done.found),
                "\n".join(missing),
            )
        opts.console.print(table)
        if report.ok:
            opts.console.print("Every text and control the flows need is there.")
        else:
            opts.err_console.print(
                "The portal does not match the profile: add the missing texts to a profile "
                "file (docs/profiles.md) and pass it with --profile."
            )
    if not report.ok:
        raise typer.Exit(3)


@app.command()
def orders(ctx: typer.Context, account: AccountOption = None, as_json: JsonOption = False) -> None:
    """List the account's orders as the portal shows them."""
    from rich.table import Table

    from assistant.app.service import list_orders

    opts = options(ctx)
    found = list_orders(load_settings_for(opts), account)
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
    opts.console.print(table)


@app.command("mock-portal")
def mock_portal(
    scenario: Annotated[
        str, typer.Option("--scenario", help="Bundled scenario name or JSON path")
    ] = "demo",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    control_api: Annotated[bool, typer.Option("--control-api", help="Mount /__mock__/")] = False,
    skin: Annotated[
        str | None,
        typer.Option("--skin", help="accessible, or real (the real site's markup)"),
    ] = None,
    locale: Annotated[str | None, typer.Option("--locale", help="real skin: en or es")] = None,
) -> None:
    """Serve the bundled mock portal (open it in a browser; tests and the demo use it)."""
    try:
        # Named first: Starlette itself imports Jinja2 lazily and would only fail at the
        # first page, long after this command said the portal was up.
        import jinja2  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401

        from mock_site.__main__ import main as serve
    except ImportError as exc:
        missing = (exc.name or "its web stack").split(".")[0]
        raise ConfigError(
            f"the mock portal needs {missing}, which is not installed",
            key="mock-portal",
            fix=MOCK_EXTRA_FIX,
        ) from None
    argv = ["--scenario", scenario, "--host", host, "--port", str(port)]
    argv += ["--control-api"] if control_api else []
    argv += ["--skin", skin] if skin else []
    argv += ["--locale", locale] if locale else []
    raise typer.Exit(serve(argv))
