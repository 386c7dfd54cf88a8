"""The mock portal as the CLI tests see it: faults installed, what the seller received,
and bounded waiting for a state (never for a time)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mock_site.pytest_plugin import PortalHandle
from mock_site.server import MockPortal

Server = MockPortal | PortalHandle

#: The three portals every flow, end-to-end and recording path must pass on: the accessible
#: mock (English) and the real site's markup in English and Spanish (``portal_skin`` values).
ALL_SKINS = ("accessible", "real", "real-es")


def _server(portal: Server) -> MockPortal:
    return portal.server if isinstance(portal, PortalHandle) else portal


def set_faults(portal: Server, faults: list[dict[str, Any]]) -> None:
    """Install faults, validated as the control API does (``[]`` clears them)."""
    from mock_site.faults import Fault

    server = _server(portal)
    parsed = [Fault.model_validate(f).model_dump() for f in faults]
    with server.portal.lock:
        server.portal.faults = parsed


def order_state(portal: Server, order_id: str) -> dict[str, Any]:
    order: dict[str, Any] = _server(portal).state()["orders"][order_id]
    return order


def requests_of(portal: Server, order_id: str) -> list[dict[str, Any]]:
    """The cancellation requests the portal recorded for the order (accepted or refused)."""
    requests: list[dict[str, Any]] = order_state(portal, order_id)["cancellation_requests"]
    return requests


def buyer_messages(portal: Server, order_id: str) -> list[str]:
    """What the seller received from the buyer about the order."""
    return [m["text"] for m in order_state(portal, order_id)["messages"] if m["author"] == "buyer"]


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``check`` (a cheap control-API or journal read) until true, bounded."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)  # allowed: bounded polling of a control-API read, no page involved
