"""Signing in: saved login reused, re-sign-in when the portal forgot it, never a guess."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path

import pytest

from assistant.domain.errors import NeedsUserError, SignInError
from mock_site.pytest_plugin import PortalHandle
from tests.flows.conftest import saved_state
from tests.support.flows import MakePortal
from tests.support.orders import SCENARIO_ORDER
from tests.support.skins import message

WRONG_PASSWORD = "Your account name or password is incorrect."


def sign_ins(portal: PortalHandle, email: str | None = None) -> int:
    count: int = portal.state()["sign_ins"].get(email or portal.email, 0)
    return count


@pytest.mark.scenario("awaiting_shipment")
def test_wrong_password_quotes_the_portal(
    portal: PortalHandle, make_portal: MakePortal, now: datetime, state_file: Path
) -> None:
    with pytest.raises(SignInError) as raised:
        make_portal(signed_in=False, password="not-the-password").read_order(SCENARIO_ORDER, now)

    assert message(portal, WRONG_PASSWORD) in str(raised.value)  # as the portal said it
    assert sign_ins(portal) == 0
    assert not state_file.exists()


@pytest.mark.scenario("awaiting_shipment")
def test_saved_login_is_reused_by_the_next_run(
    portal: PortalHandle, make_portal: MakePortal, now: datetime, state_file: Path
) -> None:
    first = make_portal(signed_in=False)
    first.read_order(SCENARIO_ORDER, now)
    assert (first.sign_ins, sign_ins(portal)) == (1, 1)
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(state_file.parent.stat().st_mode) == 0o700

    second = make_portal(signed_in=False)  # same storage_state file, new browser context
    second.read_order(SCENARIO_ORDER, now)

    assert second.sign_ins == 0
    assert sign_ins(portal) == 1


@pytest.mark.scenario("awaiting_shipment")
def test_forgotten_login_signs_in_again(
    portal: PortalHandle, make_portal: MakePortal, now: datetime, state_file: Path
) -> None:
    make_portal(signed_in=False).read_order(SCENARIO_ORDER, now)
    old_state = state_file.read_text()
    portal.reset("awaiting_shipment")  # the portal drops every session

    again = make_portal(signed_in=False)
    again.read_order(SCENARIO_ORDER, now)

    assert (again.sign_ins, sign_ins(portal)) == (1, 1)
    assert state_file.read_text() != old_state
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600


@pytest.mark.scenario("awaiting_shipment")
def test_invalid_saved_login_signs_in_again(
    portal: PortalHandle, make_portal: MakePortal, now: datetime, state_file: Path
) -> None:
    state_file.parent.mkdir(mode=0o700)
    bogus = {"name": "sid", "value": "not-a-session", "domain": "127.0.0.1", "path": "/",
             "expires": -1, "httpOnly": True, "secure": False, "sameSite": "Lax"}  # fmt: skip
    state_file.write_text(json.dumps({"cookies": [bogus], "origins": []}))

    made = make_portal(signed_in=False)
    assert made.read_order(SCENARIO_ORDER, now).order_id == SCENARIO_ORDER

    assert sign_ins(portal) == 1
    saved = saved_state(state_file, portal.email)  # the old plain file, now encrypted
    assert saved is not None and b"not-a-session" not in state_file.read_bytes()
    assert [c["value"] for c in saved["cookies"] if c["name"] == "sid"] != ["not-a-session"]


@pytest.mark.scenario("login_extras")
def test_verification_code_answered_from_the_totp_secret(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    account = next(a for a in portal.scenario.accounts if a.email == "totp@example.com")
    assert account.verification is not None and account.verification.totp_secret
    made = make_portal(
        signed_in=False,
        email=account.email,
        password=account.password,
        totp_secret=account.verification.totp_secret,
    )
    assert made.read_order(SCENARIO_ORDER, now).order_id == SCENARIO_ORDER
    assert sign_ins(portal, "totp@example.com") == 1


@pytest.mark.scenario("login_extras")
@pytest.mark.parametrize(
    ("email", "password", "asks_for"),
    [
        ("totp@example.com", "totp-pass-2026", "verification code"),  # no secret configured
        ("captcha@example.com", "captcha-pass-2026", "captcha"),
    ],
)
def test_code_without_secret_or_captcha_needs_the_user(
    email: str,
    password: str,
    asks_for: str,
    portal: PortalHandle,
    make_portal: MakePortal,
    now: datetime,
    state_file: Path,
) -> None:
    with pytest.raises(NeedsUserError, match=asks_for):
        make_portal(signed_in=False, email=email, password=password).read_order(SCENARIO_ORDER, now)

    assert sign_ins(portal, email) == 0
    tried = portal.state()["requests"]
    assert tried.get("login_verify", 0) == tried.get("login_captcha", 0) == 0  # nothing guessed
    assert not state_file.exists()
