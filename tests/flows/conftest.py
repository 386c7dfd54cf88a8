"""Fixtures for the flow tests: a `flows.portal.Portal` on pytest-playwright's browser.

Every test gets the mock portal reset to its scenario (`@pytest.mark.scenario`), and
builds the portal objects it needs with `make_portal(...)`; they are closed after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser
from pydantic import SecretStr

from flows.browser.sessions import SessionFile, SessionKey
from flows.portal import Credentials, Portal
from flows.profile import PortalProfile, load_profile
from mock_site.pytest_plugin import PortalHandle
from tests.support.flows import MakePortal
from tests.support.portal import ALL_SKINS

#: The flow tests' session key (a key of their own, never a keyring's).
TEST_KEY = SessionKey(bytes(range(32)), "environment")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every flow test runs on the three portals, unless it names its skins itself."""
    if "portal_skin" not in metafunc.fixturenames:
        return
    markers = metafunc.definition.iter_markers("parametrize")
    named = any("portal_skin" in str(marker.args[0]) for marker in markers)
    if not named and metafunc.definition.get_closest_marker("skin") is None:
        metafunc.parametrize("portal_skin", ALL_SKINS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/flows" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def profile() -> PortalProfile:
    return load_profile()


@pytest.fixture
def links_only_profile(profile: PortalProfile) -> PortalProfile:
    """The bundled profile without URL patterns: the flows must follow the page's links."""
    entry = profile.entry.model_copy(update={"order_detail_path": None, "messages_path": None})
    return profile.model_copy(update={"entry": entry})


@pytest.fixture
def now(portal: PortalHandle) -> datetime:
    """The mock portal's simulated clock, as the flows' "now"."""
    return datetime.fromisoformat(portal.state()["now"])


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "state" / "buyer.json"


@pytest.fixture
def make_portal(
    browser: Browser, portal: PortalHandle, profile: PortalProfile, state_file: Path
) -> Iterator[MakePortal]:
    """Build `Portal`s for the scenario's first account (overridable per call).

    ``signed_in`` (default) seeds a missing storage state file with a live session, so
    only the sign-in tests (``signed_in=False``) go through the sign-in pages.
    """
    opened: list[Portal] = []

    def make(
        *,
        email: str | None = None,
        password: str | None = None,
        totp_secret: str | None = None,
        storage_state: Path | None = state_file,
        signed_in: bool = True,
        **kwargs: Any,
    ) -> Portal:
        session = None
        if storage_state is not None:
            session = SessionFile(storage_state, email or portal.email, TEST_KEY)
            if signed_in and not storage_state.exists():
                save_session(portal, session, email)
        credentials = Credentials(
            email or portal.email,
            SecretStr(password if password is not None else portal.password),
            SecretStr(totp_secret) if totp_secret else None,
        )
        kwargs.setdefault("profile", profile)
        kwargs.setdefault("timeout_ms", 5_000)
        made = Portal(
            browser,
            base_url=portal.url,
            credentials=credentials,
            session=session,
            **kwargs,
        )
        opened.append(made)
        return made

    yield make
    for made in opened:
        made.close()


def save_session(portal: PortalHandle, session: SessionFile, email: str | None = None) -> None:
    """A saved login state with a session the portal already signed in (no sign-in pages).

    Most tests are not about signing in; this keeps them short. It counts as one sign-in.
    """
    cookie = portal.session_cookie(email)
    host = urlsplit(cookie.pop("url")).hostname
    cookie.update(domain=host, path="/", expires=-1, secure=False)
    session.save({"cookies": [cookie], "origins": []})


def saved_state(state_file: Path, email: str) -> dict[str, Any] | None:
    """What a test's saved-session file holds, decrypted (None: nothing readable)."""
    return SessionFile(state_file, email, TEST_KEY).load()
