"""``replay``: run a session recorded with ``--record`` again, offline, and compare.

A command of its own because it needs no portal and no account: only the recording
folder and a browser, so a failure seen once can be reproduced anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.app import app
from assistant.cli.options import JsonOption, load_settings_for, options


@app.command()
def replay(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A folder made with --record")],
    as_json: JsonOption = False,
) -> None:
    """Run a recorded session again with no server; say whether it reproduced the outcome."""
    from assistant.app.replay_run import replay as run_replay
    from assistant.cli.render import print_reports, reports_json

    opts = options(ctx)
    settings = load_settings_for(opts)
    result = run_replay(folder, browser=settings.browser)
    if as_json:
        payload = {
            "reproduced": result.reproduced,
            "differences": result.differences,
            "not_recorded": result.not_recorded,
            "cases": json.loads(reports_json(result.reports)),
        }
        print(json.dumps(payload, indent=2))
    else:
        print_reports(opts.console, result.reports, f"replay of {folder}")
        for line in result.differences:
            opts.err_console.print(f"difference: {line}", markup=False)
        for request in result.not_recorded:
            opts.err_console.print(f"not in the recording: {request}", markup=False)
        opts.console.print(
            "reproduced the recorded outcome" if result.reproduced else "did NOT reproduce"
        )
    raise typer.Exit(0 if result.reproduced else 3)
