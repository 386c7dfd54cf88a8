"""An in-process client for the mock portal's HTTP tests (Starlette TestClient)."""

from __future__ import annotations

import copy
import json
import re
import warnings
from datetime import timedelta
from typing import Any

with warnings.catch_warnings():
    # starlette prefers httpx2 for its TestClient; plain httpx works the same here.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from mock_site.app import create_app
from mock_site.scenario import SCENARIO_DIR, parse_scenario
from mock_site.state import Portal
from tests.support.orders import SCENARIO_ORDER

MAIN = SCENARIO_ORDER


def scenario_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCENARIO_DIR / f"{name}.json").read_text())
    return copy.deepcopy(data)


class Buyer:
    """A browser-less buyer: keeps the cookie, adds the CSRF token to every POST."""

    def __init__(self, scenario: str | dict[str, Any], control_api: bool = True) -> None:
        data = scenario_data(scenario) if isinstance(scenario, str) else scenario
        self.app = create_app(parse_scenario(data), control_api=control_api)
        self.portal: Portal = self.app.state.portal
        self.http = TestClient(self.app, follow_redirects=False)

    @property
    def csrf(self) -> str:
        if "sid" not in self.http.cookies:
            self.http.get("/login")
        return self.portal.sessions[self.http.cookies["sid"]].csrf

    def get(self, url: str, **kw: Any) -> Any:
        return self.http.get(url, **kw)

    def post(self, url: str, **data: Any) -> Any:
        return self.http.post(url, data={"csrf_token": self.csrf, **data})

    def login(
        self, email: str | None = None, password: str | None = None, next_url: str = "/orders"
    ) -> Any:
        account = self.portal.scenario.accounts[0]
        self.post("/login", email=email or account.email, next=next_url)
        return self.post("/login/password", password=password or account.password, next=next_url)

    def page(self, url: str) -> str:
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code)
        text: str = response.text
        return text

    def cancel(self, order_id: str = MAIN, **data: Any) -> str:
        """POST a cancellation; return the detail page it redirects to."""
        response = self.post(f"/orders/{order_id}/cancel", **data)
        assert response.status_code == 303
        return self.page(response.headers["location"])

    def state(self, order_id: str = MAIN) -> dict[str, Any]:
        order: dict[str, Any] = self.portal.snapshot()["orders"][order_id]
        return order

    def advance(self, **kw: float) -> None:
        self.portal.advance(timedelta(**kw))


def status_text(html: str) -> str | None:
    m = re.search(r'role="status"[^>]*>([^<]+)<', html)
    return m.group(1).strip() if m else None


def alert_text(html: str) -> str | None:
    m = re.search(r'role="alert"[^>]*>([^<]+)<', html)
    return m.group(1).strip() if m else None


def heading(html: str) -> str:
    m = re.search(r"<h1[^>]*>([^<]+)</h1>", html)
    assert m, "no h1"
    return m.group(1).strip()
