"""Recording a real run: nothing secret in any artifact, and the replay reproduces it."""

from __future__ import annotations

import base64
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from flows.browser.sessions import SessionFile, SessionKey
from mock_site.server import MockPortal
from tests.support.cli import Assistant
from tests.support.orders import DEMO_PAID, DEMO_UNPAID
from tests.support.portal import ALL_SKINS
from tests.support.recording import PLANTED_PASSWORD

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "recordings"

pytestmark = pytest.mark.browser


def _all_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a recording, traces unzipped member by member."""
    blobs: dict[str, bytes] = {}
    for path in folder.rglob("*"):
        if path.is_dir():
            continue
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    blobs[f"{path.name}:{name}"] = archive.read(name)
        else:
            blobs[str(path.relative_to(folder))] = path.read_bytes()
    return blobs


@pytest.mark.parametrize("portal_skin", ALL_SKINS)
def test_recorded_run_holds_no_secret_and_replays_without_server(
    own_portal: MockPortal, cli: Assistant, tmp_path: Path
) -> None:
    record = tmp_path / "rec"
    result = cli("--record", str(record), "cancel", DEMO_UNPAID, DEMO_PAID)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p.name for p in record.iterdir()} >= {
        "session.har",
        "trace.zip",
        "meta.json",
        "screenshots",
    }
    assert len(list((record / "screenshots").glob("*.png"))) >= 4  # after every action
    # Orders, addresses and chats: the user's only, like the journal.
    modes = {p.relative_to(record): p.stat().st_mode & 0o777 for p in [record, *record.rglob("*")]}
    assert all(mode == (0o700 if (record / p).is_dir() else 0o600) for p, mode in modes.items()), {
        str(p): oct(m) for p, m in modes.items()
    }

    # What the portal handed out during the run: session cookies and CSRF tokens.
    sessions = own_portal.portal.sessions
    planted = {PLANTED_PASSWORD, *sessions, *(s.csrf for s in sessions.values())}
    state_file = next((tmp_path / "data" / "logins").glob("*.json"))
    key = SessionKey(base64.urlsafe_b64decode(cli.session_key), "environment")
    saved = SessionFile(state_file, own_portal.portal.scenario.accounts[0].email, key)
    planted |= {c["value"] for c in saved.cookies() if c["name"] == "sid"}
    assert planted > {PLANTED_PASSWORD}, "the saved session must decrypt to its cookies"
    own_portal.stop()  # the replay must need no server at all

    for name, data in _all_bytes(record).items():
        for secret in planted:
            assert secret.encode() not in data, f"a secret leaked into {name}"

    replayed = cli("replay", str(record), "--json")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    report = json.loads(replayed.stdout)
    assert report["reproduced"] is True
    assert {c["order_id"]: c["status"] for c in report["cases"]} == {
        DEMO_UNPAID: "done_cancelled",
        DEMO_PAID: "waiting_seller",
    }


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_bundled_recordings_replay_offline(name: str, offline_cli: Assistant) -> None:
    result = offline_cli("replay", str(FIXTURES / name), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["reproduced"] is True


def test_replay_of_pages_that_changed_names_the_step_and_locator(
    tmp_path: Path, offline_cli: Assistant
) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(FIXTURES / "request_with_message", changed)
    har = changed / "session.har"
    # The portal renamed the row the flows find the order number by: "Order ID:" is gone.
    text = har.read_text()
    assert "Order ID:" in text
    har.write_text(text.replace("Order ID:", "Order ref:"))
    result = offline_cli("replay", str(changed), "--json")
    assert result.returncode == 3
    outcome = json.loads(result.stdout)
    error = outcome["cases"][0]["error"]
    assert "step 'read order'" in error
    # the locator it waited for: the "Order ID" label, as a normalised pattern
    assert re.search(r"get_by_text\(.*order.*id", error, re.IGNORECASE), error
    assert outcome["reproduced"] is False


def test_html_report_shows_each_case_with_screenshots(
    cli: Assistant, tmp_path: Path, page: Page
) -> None:
    assert cli("--record", str(tmp_path / "rec"), "cancel", DEMO_UNPAID, DEMO_PAID).returncode == 0
    target = tmp_path / "report.html"
    result = cli.invoke("report", "--html", str(target))  # reads the journal only
    assert result.returncode == 0, result.stderr
    assert target.stat().st_mode & 0o777 == 0o600  # orders and chats: the user's only
    page.goto(target.as_uri())
    for order_id in (DEMO_UNPAID, DEMO_PAID):
        case = page.get_by_role("region", name=f"Order {order_id}")
        expect(case).to_be_visible()
        expect(case.get_by_role("img", name="screenshot").first).to_be_visible()
    paid = page.get_by_role("region", name=f"Order {DEMO_PAID}")
    expect(paid).to_contain_text("request_cancellation")
    unpaid = page.get_by_role("region", name=f"Order {DEMO_UNPAID}")
    expect(unpaid).to_contain_text("done_cancelled")
