"""pytest fixtures: one mock portal per session, reset to a scenario for every test.

    @pytest.mark.scenario("awaiting_shipment")
    def test_x(portal, page):
        page.goto(portal.url + "/orders")

`portal.reset("shipped")` switches scenario inside a test; `portal.advance(days=15)` moves
the simulated clock; `portal.state()` is the control API's JSON.

The skin (default: accessible, English) is chosen per test with a marker or by
parametrizing the `portal_skin` fixture; each (skin, locale) gets its own server, started
once per session on first use:

    @pytest.mark.skin("real", locale="es")
    def test_y(portal, page): ...

    @pytest.mark.parametrize("portal_skin", ["accessible", "real", "real-es"])
    def test_z(portal, page): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .scenario import Account, Scenario
from .server import MockPortal


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "scenario(name): the mock portal scenario the `portal` fixture resets to"
    )
    config.addinivalue_line(
        "markers",
        "skin(name, locale='en'): the mock portal's skin (accessible, real) and locale (en, es)",
    )


def skin_of(value: Any) -> tuple[str, str]:
    """("real", "es") from "real-es", "real", ("real", "es") or None (accessible, en)."""
    if value is None:
        return ("accessible", "en")
    if isinstance(value, str):
        name, _, loc = value.partition("-")
        return (name, loc or "en")
    name, loc = tuple(value)
    return (str(name), str(loc))


class MockPortals:
    """One running portal per (skin, locale), started on first use, stopped at the end."""

    def __init__(self) -> None:
        self.servers: dict[tuple[str, str], MockPortal] = {}

    def get(self, skin: str, locale: str = "en") -> MockPortal:
        key = (skin, locale)
        if key not in self.servers:
            self.servers[key] = MockPortal("demo", control_api=True, skin=skin, locale=locale)
        return self.servers[key]

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


@dataclass
class PortalHandle:
    """What a test sees of the mock portal after its reset."""

    server: MockPortal
    scenario: Scenario

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def skin(self) -> str:
        return self.server.skin

    @property
    def locale(self) -> str:
        return self.server.locale

    @property
    def start_url(self) -> str:
        return self.server.start_url

    @property
    def account(self) -> Account:
        return self.scenario.accounts[0]

    @property
    def email(self) -> str:
        return self.account.email

    @property
    def password(self) -> str:
        return self.account.password

    def reset(self, scenario: str | Path | Scenario | dict[str, Any] = "demo") -> Scenario:
        self.scenario = self.server.reset(scenario)
        return self.scenario

    def advance(self, *, hours: float = 0, days: float = 0, minutes: float = 0) -> str:
        return self.server.advance(hours=hours, days=days, minutes=minutes)

    def state(self) -> dict[str, Any]:
        return self.server.state()

    def order_state(self, order_id: str) -> dict[str, Any]:
        order: dict[str, Any] = self.state()["orders"][order_id]
        return order

    def session_cookie(self, email: str | None = None) -> dict[str, Any]:
        """A signed-in session cookie (skips the sign-in pages): `context.add_cookies([...])`."""
        portal = self.server.portal
        sid, session = portal.session(None)
        portal.sign_in(session, email or self.email)
        return {"name": "sid", "value": sid, "url": self.url, "httpOnly": True, "sameSite": "Lax"}


@pytest.fixture(scope="session")
def mock_portal() -> Iterator[MockPortal]:
    server = MockPortal("demo", control_api=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mock_portals() -> Iterator[MockPortals]:
    portals = MockPortals()
    yield portals
    portals.stop()


@pytest.fixture
def portal_skin(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(skin, locale) of the `portal` fixture: from `@pytest.mark.skin`, else accessible/en."""
    marker = request.node.get_closest_marker("skin")
    if marker is None:
        return ("accessible", "en")
    name = marker.args[0] if marker.args else marker.kwargs.get("name", "accessible")
    loc = marker.args[1] if len(marker.args) > 1 else marker.kwargs.get("locale", "en")
    return (name, loc)


@pytest.fixture
def portal(request: pytest.FixtureRequest, portal_skin: Any) -> PortalHandle:
    marker = request.node.get_closest_marker("scenario")
    name = marker.args[0] if marker else "demo"
    skin, loc = skin_of(portal_skin)
    if (skin, loc) == ("accessible", "en"):
        server: MockPortal = request.getfixturevalue("mock_portal")
    else:
        server = request.getfixturevalue("mock_portals").get(skin, loc)
    return PortalHandle(server, server.reset(name))
