"""Sign-in by the person and the encrypted sessions (issue 19), end to end.

``login`` runs as a user runs it: a process that opens a headed browser window (under
Xvfb here). The "person" is a script at that window: it reaches the browser over the
DevTools port the test asks for (``browser_args``) and signs in on the page the tool
opened; the tool never sees the password. An account with no password in the
configuration then works on the saved session until the portal ends it, and recovers
with another ``login``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from pydantic import SecretStr

from assistant.app.portal_set import login_file_name
from flows.browser.sessions import read_envelope
from flows.orders_page import OrdersPage
from flows.profile import load_profile
from flows.signin import sign_in
from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import CLI, COMMAND_TIMEOUT, Assistant
from tests.support.orders import SCENARIO_ORDER
from tests.support.portal import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.scenario("awaiting_shipment")]

NO_PASSWORD = {"ORDER_ASSISTANT_PASSWORD": None}
HEADED = os.environ.get("DISPLAY") or shutil.which("xvfb-run")


def headed_prefix() -> list[str]:
    """``xvfb-run`` on a display of this test process's own, unless there is a display.

    Not ``xvfb-run -a``: two of them starting at once (two test workers) can pick the same
    free display, and one fails to start.
    """
    if os.environ.get("DISPLAY"):
        return []
    taken = {int(p.name[2:-5]) for p in Path("/tmp").glob(".X*-lock") if p.name[2:-5].isdigit()}
    number = next(n for n in range(100 + os.getpid() % 400, 1000) if n not in taken)
    return ["xvfb-run", "--server-num", str(number)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def all_bytes(folder: Path) -> bytes:
    """Every file under ``folder``, concatenated (the journal, logs, sessions, artifacts)."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def session_ids(portal: PortalHandle) -> set[str]:
    """The session cookies the portal handed out so far (the ``sid`` values)."""
    return set(portal.server.portal.sessions)


def login_by_person(portal: PortalHandle, assistant: Assistant) -> subprocess.CompletedProcess[str]:
    """Run ``order-assistant login`` headed; a scripted person signs in at its window."""
    port = free_port()
    env = assistant.environment(
        ORDER_ASSISTANT_BROWSER_ARGS=json.dumps([f"--remote-debugging-port={port}"]),
        **NO_PASSWORD,
    )
    prefix = headed_prefix()
    process = subprocess.Popen(
        [*prefix, *CLI, "login", "--wait-minutes", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        person_signs_in(port, portal)
        out, err = process.communicate(timeout=COMMAND_TIMEOUT)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def person_signs_in(port: int, portal: PortalHandle) -> None:
    """At the window ``login`` opened: the sign-in form, filled by hand as a person would."""
    # The DevTools list of pages: a connection sees the contexts that exist when it is made.
    wait_until(lambda: showing(port, portal.url), timeout=90, what="the login window")
    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
        page = next(p for c in browser.contexts for p in c.pages if portal.url in p.url)
        profile = load_profile()
        # The tool closes its window as soon as it sees "My Orders", maybe while this
        # script is still looking: what `login` reports is checked by the caller.
        with contextlib.suppress(PlaywrightError):
            sign_in(
                page,
                profile,
                username=portal.email,
                password=SecretStr(portal.password),
                totp_secret=None,
                done=OrdersPage(page, profile).ready(),
            )


def showing(port: int, url: str) -> bool:
    """Whether the browser behind the DevTools ``port`` has a page of ``url`` open."""
    try:
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return False  # not listening yet
    return any(t.get("type") == "page" and t.get("url", "").startswith(url) for t in targets)


@pytest.mark.slow
@pytest.mark.skipif(not HEADED, reason="needs a display or xvfb-run (Debian's xvfb)")
def test_an_account_without_password_works_after_login_and_recovers_after_expiry(
    portal: PortalHandle, assistant: Assistant
) -> None:
    # No password anywhere: the first cancel says what to do.
    first = assistant("cancel", SCENARIO_ORDER, "--json", **NO_PASSWORD)
    assert first.returncode == 1, first
    assert "order-assistant login" in first.json()[0]["error"], first

    signed = login_by_person(portal, assistant)

    assert signed.returncode == 0, signed
    assert "signed in as buyer@example.com" in signed.stdout, signed
    saved = assistant.data_dir / "logins" / login_file_name(portal.email)
    envelope = read_envelope(saved)
    assert envelope is not None and envelope["account"] == portal.email
    on_disk = all_bytes(assistant.data_dir)
    assert all(sid.encode() not in on_disk for sid in session_ids(portal))
    assert portal.password.encode() not in on_disk + signed.stdout.encode() + signed.stderr.encode()

    # The held case is due at once, and goes on with the session alone.
    by_person = portal.state()["sign_ins"][portal.email]
    run = assistant("run", "--json", **NO_PASSWORD)
    assert run.returncode == 0, run
    assert [r["status"] for r in run.json()] == ["waiting_seller"], run
    assert portal.order_state(SCENARIO_ORDER)["state"] == "cancellation_requested"
    assert portal.state()["sign_ins"][portal.email] == by_person  # no sign-in of its own

    # The portal ends the session: the case waits for the person, who is told to log in.
    portal.server.portal.expire_sessions()
    portal.advance(days=1)
    expired = assistant("run", "--json", **NO_PASSWORD)
    assert expired.returncode == 1, expired
    assert "order-assistant login" in expired.json()[0]["error"], expired

    assert login_by_person(portal, assistant).returncode == 0
    recovered = assistant("run", "--json", **NO_PASSWORD)
    assert recovered.returncode == 0, recovered
    assert recovered.json()[0]["status"] in ("waiting_seller", "waiting_refund"), recovered


@pytest.mark.skipif(not HEADED, reason="needs a display or xvfb-run (Debian's xvfb)")
def test_login_without_a_sign_in_saves_nothing_and_says_so(
    portal: PortalHandle, assistant: Assistant
) -> None:
    prefix = headed_prefix()
    done = subprocess.run(
        [*prefix, *CLI, "login", "--wait-minutes", "0.05"],
        env=assistant.environment(**NO_PASSWORD),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert done.returncode == 1, done
    assert "nobody signed in" in done.stderr and "order-assistant login" in done.stderr, done
    assert not (assistant.data_dir / "logins").exists() or not any(
        (assistant.data_dir / "logins").glob("*.json")
    )


def test_login_on_a_machine_without_display_points_to_export_and_import(
    assistant: Assistant,
) -> None:
    done = assistant("login", DISPLAY=None, WAYLAND_DISPLAY=None, **NO_PASSWORD)
    assert done.returncode == 2, done
    assert "no display" in done.stderr and "session export" in done.stderr, done


def test_a_session_moves_to_a_server_encrypted_and_revoke_ends_it_here(
    portal: PortalHandle, assistant: Assistant, tmp_path: Path
) -> None:
    # On the desktop: signed in once (with the password here), then exported.
    assert assistant("orders").returncode == 0
    export = tmp_path / "moved.session"
    exported = assistant("session", "export", str(export))
    assert exported.returncode == 0, exported
    assert all(sid.encode() not in export.read_bytes() for sid in session_ids(portal))
    assert oct(export.stat().st_mode & 0o777) == "0o600"

    # On the server: the same key (moved apart), no password, and no second sign-in.
    server = Assistant(portal.server, tmp_path / "server", session_key=assistant.session_key)
    imported = server("session", "import", str(export), **NO_PASSWORD)
    assert imported.returncode == 0, imported
    sign_ins = portal.state()["sign_ins"][portal.email]
    listed = server("orders", "--json", **NO_PASSWORD)
    assert listed.returncode == 0 and SCENARIO_ORDER in listed.stdout, listed
    assert portal.state()["sign_ins"][portal.email] == sign_ins
    shown = server("session", "status", "--json", **NO_PASSWORD).json()
    assert [(s["account"], s["saved"], s["encrypted"]) for s in shown["sessions"]] == [
        (portal.email, True, True)
    ]

    # A machine with another key cannot take it, and says which key it needs.
    other = Assistant(portal.server, tmp_path / "other")
    refused = other("session", "import", str(export), **NO_PASSWORD)
    assert refused.returncode == 2, refused
    assert read_envelope(export)["key_id"] in refused.stderr, refused  # type: ignore[index]

    revoked = server("session", "revoke", **NO_PASSWORD)
    assert revoked.returncode == 0 and "sign out there" in revoked.stdout, revoked
    assert not any((tmp_path / "server" / "logins").glob("*.json"))
    after = server("orders", **NO_PASSWORD)
    assert after.returncode == 1 and "order-assistant login" in after.stderr, after


def test_a_planted_cookie_of_an_older_plain_session_is_nowhere_on_disk_in_clear(
    portal: PortalHandle, assistant: Assistant
) -> None:
    planted = "planted-cookie-3f9a1c7e"
    cookie = portal.session_cookie()
    host = urlsplit(cookie.pop("url")).hostname
    cookies = [
        {**cookie, "domain": host, "path": "/", "expires": -1, "secure": False},
        {"name": "extra", "value": planted, "domain": host, "path": "/", "expires": -1,
         "httpOnly": False, "secure": False, "sameSite": "Lax"},
    ]  # fmt: skip
    logins = assistant.data_dir / "logins"
    logins.mkdir(parents=True, mode=0o700)
    plain = logins / login_file_name(portal.email)
    plain.write_text(json.dumps({"cookies": cookies, "origins": []}), encoding="utf-8")
    sign_ins = portal.state()["sign_ins"].get(portal.email, 0)

    done = assistant("cancel", SCENARIO_ORDER, "--json", **NO_PASSWORD)

    assert done.returncode == 0, done  # the old session was used: no password needed
    assert portal.state()["sign_ins"].get(portal.email, 0) == sign_ins
    assert read_envelope(plain) is not None  # migrated on first use
    on_disk = all_bytes(assistant.data_dir)
    for secret in (planted, cookie["value"]):
        assert secret.encode() not in on_disk, f"{secret} in clear on disk"
