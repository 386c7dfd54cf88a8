"""The browser as the application layer holds it, and Playwright's failures turned into ours.

``assistant.app`` starts browsers through ``flows`` and passes them on to ``flows.portal``;
it never calls Playwright and never catches its errors. This module is what it may use:
the handle's type, a liveness check, and the boundary that turns any Playwright failure
into ``BrowserFailure`` (or ``BrowserGoneError`` once the browser is gone).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeAlias

from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from assistant.domain.errors import BrowserFailure, BrowserGoneError, first_line

#: A running browser (launched here, or connected to the shared browser server). The
#: application only passes it to ``flows`` and asks ``browser_alive`` about it.
BrowserHandle: TypeAlias = Browser


def browser_alive(browser: BrowserHandle, *, probe: bool = False) -> bool:
    """Whether the browser is still there (False once it crashed or was killed).

    ``probe``: ask the browser itself (a context opened and closed), for the moment right
    after a failure: a browser behind the browser server that was just killed still
    reads as connected until the server notices.
    """
    if not browser.is_connected():
        return False
    if probe:
        try:
            browser.new_context().close()
        except PlaywrightError:
            return False
    return True


@contextmanager
def browser_boundary(browser: BrowserHandle | None = None) -> Iterator[None]:
    """Run browser calls; a Playwright failure leaves as ``BrowserFailure``, or as
    ``BrowserGoneError`` when ``browser`` is no longer connected. Flow steps have their
    own, more precise translation (``flows.steps.step``); this is for the calls around
    them (contexts, tracing, recording) and the safety net around a whole order."""
    try:
        yield
    except PlaywrightError as exc:
        message = f"the browser failed: {first_line(exc)}"
        if browser is not None and not browser.is_connected():
            raise BrowserGoneError(message) from None
        raise BrowserFailure(message) from None
