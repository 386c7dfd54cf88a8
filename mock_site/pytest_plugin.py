"""pytest fixtures: one mock portal per session, reset to a scenario for every test.

    @pytest.mark.scenario("awaiting_shipment")
    def test_x(portal, page):
        page.goto(portal.url + "/orders")

`portal.reset("shipped")` switches scenario inside a test; `portal.advance(days=15)` moves
the simulated clock; `portal.state()` is the control API's JSON.
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


@dataclass
class PortalHandle:
    """What a test sees of the mock portal after its reset."""

    server: MockPortal
    scenario: Scenario

    @property
    def url(self) -> str:
        return self.server.url

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


@pytest.fixture
def portal(request: pytest.FixtureRequest, mock_portal: MockPortal) -> PortalHandle:
    marker = request.node.get_closest_marker("scenario")
    name = marker.args[0] if marker else "demo"
    return PortalHandle(mock_portal, mock_portal.reset(name))

