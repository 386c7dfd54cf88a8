"""``login`` and ``session key|status|export|import|revoke``: the account's sign-in.

``login`` lets the person sign in in a browser window (any way the portal offers), and
keeps the session encrypted; the ``session`` commands move it to a server without a
display, show it, and delete it. See README, "Account safety".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.app import app
from assistant.cli.options import AccountOption, JsonOption, load_settings_for, options

session_app = typer.Typer(
    name="session",
    help="The saved sign-in sessions (encrypted): key, status, export, import, revoke.",
    no_args_is_help=True,
)
app.add_typer(session_app)


@app.command()
def login(
    ctx: typer.Context,
    account: AccountOption = None,
    wait_minutes: Annotated[
        float, typer.Option("--wait-minutes", min=0.05, help="How long to wait for the sign-in")
    ] = 10,
) -> None:
    """Sign in yourself in a browser window; the session is saved, encrypted.

    For accounts without a password (Google, Apple, SMS code, passkey), or to keep the
    password out of the configuration. Every command then works without a password until
    the portal ends the session; then `login` again.
    """
    from assistant.app.sessions import login_by_person

    opts = options(ctx)
    settings = load_settings_for(opts, ask_password=False)
    info = login_by_person(
        settings,
        account,
        wait_minutes=wait_minutes,
        told=lambda text: opts.err_console.print(text, highlight=False),
    )
    opts.console.print(
        f"signed in as {info.account}: the session is saved encrypted (key {info.key_id}) "
        f"in {info.path}",
        highlight=False,
    )


@session_app.command("key")
def key(
    ctx: typer.Context,
    show: Annotated[
        bool, typer.Option("--show", help="Print this machine's key instead of a new one")
    ] = False,
) -> None:
    """Print a new session key (or, with --show, this machine's) to set on a server."""
    from assistant.app.sessions import session_key
    from flows.browser.sessions import KEY_ENV, new_key

    opts = options(ctx)
    if show:
        current = session_key(create=False)
        text = _key_text(current.key)
        where = f"this machine's key (from the {current.source}, id {current.key_id})"
    else:
        text, where = new_key(), "a new key"
    print(text)
    opts.err_console.print(
        f"{where}: set {KEY_ENV} to it where the sessions are used, and keep it apart from "
        "the data directory and from exported sessions",
        highlight=False,
    )


def _key_text(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).decode("ascii")


@session_app.command("status")
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Each account's saved session: saved or not, encrypted, with which key, until when."""
    from rich.table import Table

    from assistant.app.sessions import sessions_status

    opts = options(ctx)
    infos, key = sessions_status(load_settings_for(opts, ask_password=False))
    if as_json:
        rows = [{**info.__dict__, "path": str(info.path)} for info in infos]
        print(json.dumps({"key_id": key.key_id if key else None, "sessions": rows}, indent=2))
        return
    table = Table(title=f"sessions (this machine's key: {key.key_id if key else 'none'})")
    for column in ("account", "saved", "encrypted", "key", "saved at", "expires"):
        table.add_column(column, overflow="fold")
    for info in infos:
        table.add_row(
            info.account,
            "yes" if info.saved else "no",
            ("yes" if info.encrypted else "[red]no[/]") if info.saved else "",
            info.key_id or "",
            info.saved_at or "",
            info.expires or ("when the portal ends it" if info.saved else ""),
        )
    opts.console.print(table)


@session_app.command("export")
def export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the encrypted session")],
    account: AccountOption = None,
) -> None:
    """Write the account's session, still encrypted, for `session import` on a server."""
    from assistant.app.sessions import export_account_session

    opts = options(ctx)
    info = export_account_session(load_settings_for(opts, ask_password=False), account, file)
    opts.console.print(
        f"wrote the encrypted session of {info.account} to {file}. It needs key {info.key_id} "
        "on the other machine: move the key apart (`order-assistant session key --show`), "
        "never in the same message or folder as the file",
        highlight=False,
    )


@session_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file written by `session export`")],
    account: AccountOption = None,
) -> None:
    """Take a session exported on another machine (this machine must have its key)."""
    from assistant.app.sessions import import_account_session

    opts = options(ctx)
    info = import_account_session(load_settings_for(opts, ask_password=False), account, file)
    opts.console.print(
        f"imported the session of {info.account} (key {info.key_id}); delete {file} now",
        highlight=False,
    )


@session_app.command("revoke")
def revoke(ctx: typer.Context, account: AccountOption = None) -> None:
    """Delete the account's saved session here, and say how to end it on the portal."""
    from assistant.app.sessions import END_ON_SITE, revoke_session

    opts = options(ctx)
    name, deleted = revoke_session(load_settings_for(opts, ask_password=False), account)
    done = "deleted the saved session" if deleted else "no saved session here"
    opts.console.print(f"{name}: {done}; {END_ON_SITE}", highlight=False)
