"""Name every flow step, and turn Playwright's failures into our typed errors.

A locator that never appears means the portal changed (or a recording no longer matches
the flows); a network failure means the portal is unreachable. Either way the error says
which step, which locator or URL, and which order, instead of a bare Playwright trace.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from assistant.domain.errors import PortalChangedError, PortalError

_WAITING_FOR = re.compile(r"waiting for (.+)")
_NET_ERROR = re.compile(r"net::ERR_[A-Z_]+")


@contextmanager
def step(name: str, *, order_id: str | None = None, url: str | None = None) -> Iterator[None]:
    """Run a flow step; a time-out or a browser error leaves as a PortalError naming it."""
    try:
        yield
    except PlaywrightTimeoutError as exc:
        text = str(exc)
        waited = _WAITING_FOR.search(text)
        what = waited.group(1).strip() if waited else text.splitlines()[0]
        raise PortalChangedError(
            f"step {name!r}: {what} did not appear in time",
            order_id=order_id,
            url=url,
            fix="the page no longer matches the flows: check the portal profile's labels",
        ) from None
    except PlaywrightError as exc:
        text = str(exc)
        network = _NET_ERROR.search(text)
        if network:
            raise PortalError(
                f"step {name!r}: the portal is unreachable ({network.group(0)})",
                order_id=order_id,
                url=url,
                fix="check the portal URL and the network, then run again",
            ) from None
        raise PortalError(
            f"step {name!r}: the browser failed: {text.splitlines()[0] if text else exc!r}",
            order_id=order_id,
            url=url,
        ) from None
