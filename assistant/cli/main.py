"""The ``order-assistant`` console script: the app with every command group registered.

The entry point (``assistant.cli.main:main``, and ``python -m assistant``) lives here
rather than in ``app.py`` because importing the command modules is what registers their
commands, and ``app.py`` must not import them (they import it). Tests that run the CLI
in-process import ``app`` from here for the same reason.
"""

from __future__ import annotations

# Imported for their side effect: each registers its commands on `app`.
from assistant.cli import cancel, follow_up, portal, replay, setup  # noqa: F401
from assistant.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
