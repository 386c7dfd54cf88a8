"""The ``order-assistant`` console script: the app with every command group registered.

The entry point (``assistant.cli.main:main``, and ``python -m assistant``) lives here
rather than in ``app.py`` because importing the command modules is what registers their
commands, and ``app.py`` must not import them (they import it). Tests that run the CLI
in-process import ``app`` from here for the same reason.
"""

from __future__ import annotations

import os

# Imported for their side effect: each registers its commands on `app`.
from assistant.cli import (  # noqa: F401
    browser,
    cancel,
    follow_up,
    portal,
    queue,
    replay,
    session,
    setup,
)
from assistant.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point.

    Everything the assistant writes (journal, saved logins, recordings, reports, failure
    evidence, and what the browser driver writes for it) is the user's alone: files 0600,
    folders 0700, whatever the shell's umask. (A log the shell redirects is the shell's:
    the cron line `init` prints sets the umask for it too.)
    """
    os.umask(0o077)
    app()
