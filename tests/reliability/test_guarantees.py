"""Guarantees that need no campaign, each shown once on the real CLI: a changed page stops
with exit code 3 and evidence (never a guess), a captcha stops only its own account, the
assistant never leaves the portal's origin, files are private, secrets stay secret."""

from __future__ import annotations

import http.server
import json
import stat
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_site.server import MockPortal
from tests.support.cli import Assistant, Result
from tests.support.orders import SCENARIO_ORDER, SECOND_ORDER, THIRD_ORDER
from tests.support.portal import buyer_messages, set_faults
from tests.support.scenarios import scenario

pytestmark = pytest.mark.browser
DETAIL = r"^/orders/\d{16}$"


def only(result: Result) -> dict[str, Any]:
    reports = result.json()
    assert len(reports) == 1, result
    report: dict[str, Any] = reports[0]
    return report


def requests_on(server: MockPortal, order_id: str = SCENARIO_ORDER) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.state()["orders"][order_id]["cancellation_requests"]
    return [r for r in found if not r.get("preexisting")]


def assert_portal_changed(cli: Assistant, result: Result, *words: str) -> None:
    """Exit 3, a 'portal changed' message naming what, a screenshot, nothing done."""
    assert result.returncode == 3, result
    report = only(result)
    assert report["status"] == "failed", result
    for word in words:
        assert word in report["error"], result
    assert report["screenshot"] and Path(report["screenshot"]).is_file(), result
    # The page the flows could not read, as HTML, without the password; no trace for a
    # first failure (tracing every case costs a quarter of its CPU).
    html = Path(report["html"]).read_text("utf-8")
    assert "<html" in html.lower() and cli.accounts[0]["password"] not in html
    assert report["trace"] is None, report
    assert requests_on(cli.server) == []
    assert buyer_messages(cli.server, SCENARIO_ORDER) == []
    (case,) = cli("status", "--json").json()
    assert case["status"] == "failed" and case["next_due"], case  # looked at again later


@pytest.mark.parametrize(
    ("replace", "words"),
    [
        ({"Awaiting shipment": "On hold"}, ["unknown order status label", "On hold"]),
        ({">Submit<": ">Send request<"}, ["did not appear", "Submit"]),
        ({"Cancel order": "Cancel purchase"}, ["Cancel order"]),
    ],
    ids=["unknown-status-label", "renamed-submit", "renamed-cancel-button"],
)
def test_a_changed_page_stops_with_evidence(
    make_cli: Callable[..., Assistant], replace: dict[str, str], words: list[str]
) -> None:
    cli = make_cli(scenario("awaiting_shipment"))
    set_faults(cli.server, [{"path": DETAIL, "replace": replace}])
    result = cli("cancel", SCENARIO_ORDER, "--json")
    assert_portal_changed(cli, result, *words)

    # Its retry is traced: a second failure comes with the trace that shows it (only that
    # case's), and the trace holds no password.
    cli.server.advance(hours=1)
    retried = only(cli("run", "--json"))
    with zipfile.ZipFile(Path(retried["trace"])) as archive:
        assert "trace.trace" in archive.namelist()
        for name in archive.namelist():
            assert cli.accounts[0]["password"].encode() not in archive.read(name), name


def test_no_acceptable_reason_in_the_drop_down(make_cli: Callable[..., Assistant]) -> None:
    blaming = [
        "The supplier refuses to ship the product(s)",
        "I am not able to contact the supplier",
    ]
    cli = make_cli(scenario("awaiting_shipment", reasons=blaming))
    result = cli("cancel", SCENARIO_ORDER, "--json")
    assert_portal_changed(cli, result, "none of the acceptable reasons")


def two_accounts() -> dict[str, Any]:
    data = scenario("awaiting_shipment")
    other = {"email": "other@example.com", "password": "other-pass-2026", "name": "Sam"}
    data["accounts"].append(other)
    for order_id in (SECOND_ORDER, THIRD_ORDER):
        data["orders"].append(copy_order(data["orders"][0], order_id, other["email"]))
    return data


def copy_order(order: dict[str, Any], order_id: str, account: str) -> dict[str, Any]:
    return {**json.loads(json.dumps(order)), "id": order_id, "account": account}


@pytest.mark.slow
def test_a_captcha_stops_one_account_and_the_other_goes_on(
    make_cli: Callable[..., Assistant],
) -> None:
    cli = make_cli(two_accounts())
    other, third = SECOND_ORDER, THIRD_ORDER
    first = cli("cancel", "--account", "buyer@example.com", SCENARIO_ORDER, "--json")
    second = cli("cancel", "--account", "other@example.com", other, third, "--json")
    assert first.returncode == 0 and second.returncode == 0, (first, second)
    # Two days later both sessions are gone and the other account meets a captcha.
    cli.server.advance(days=2)
    cli.server.portal.expire_sessions()
    cli.server.portal.challenge("captcha", "other@example.com")
    run = cli("run", "--json")
    assert run.returncode == 75, run  # EX_TEMPFAIL: the account cools down
    by_order = {r["order_id"]: r for r in run.json()}
    # the seller accepted: goes on
    assert by_order[SCENARIO_ORDER]["status"] == "waiting_refund", run
    cases = {c["order_id"]: c for c in cli("status", "--json").json()}
    for order_id in (other, third):  # the first met the captcha, the second was held
        assert by_order[order_id]["status"] == "needs_user", run
        assert "captcha" in by_order[order_id]["error"], run
        assert cases[order_id]["status"] == "needs_user" and "captcha" in cases[order_id]["advice"]
        assert cases[order_id]["next_due"], cases[order_id]
        assert cases[order_id]["cooldown"]["reason"] == "captcha", cases[order_id]
    assert cases[SCENARIO_ORDER]["status"] == "waiting_refund"
    assert cases[SCENARIO_ORDER]["cooldown"] is None
    # Once a person has solved it (the challenge is gone), the next run picks it up again.
    cli.server.advance(hours=2)
    again = cli("run", "--json")
    assert again.returncode == 0, again
    statuses = {r["order_id"]: r["status"] for r in again.json()}
    assert statuses[other] == statuses[third] == "waiting_refund", again
    assert len(requests_on(cli.server, other)) == len(requests_on(cli.server, third)) == 1
    assert cli.server.state()["sign_ins"]["other@example.com"] == 2  # once a day, then again


class Recorder(http.server.BaseHTTPRequestHandler):
    """Another origin that counts every request it receives."""

    hits: list[str] = []  # noqa: RUF012 (one server per test, reset by the fixture)

    def do_GET(self) -> None:
        Recorder.hits.append(f"{self.path} cookie={self.headers.get('Cookie')}")
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"<h1>Order status</h1>")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def elsewhere() -> Iterator[str]:
    Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # "localhost" is another origin than the portal's "127.0.0.1", same machine.
    yield f"http://localhost:{server.server_address[1]}/orders/{SCENARIO_ORDER}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("target", ["http://evil.example/", "elsewhere"])
def test_a_redirect_to_another_origin_stops_the_flow(
    make_cli: Callable[..., Assistant], request: pytest.FixtureRequest, target: str
) -> None:
    if target == "elsewhere":
        target = request.getfixturevalue("elsewhere")
    cli = make_cli(scenario("awaiting_shipment"))
    set_faults(cli.server, [{"path": DETAIL, "redirect": target}])
    result = cli("cancel", SCENARIO_ORDER, "--json")
    assert result.returncode == 3, result
    error = only(result)["error"]
    # An unresolvable host fails the navigation itself (the error page is never loaded).
    assert "redirected to another site" in error or "ERR_NAME_NOT_RESOLVED" in error, result
    assert requests_on(cli.server) == []
    # Playwright does not route the hops of a redirect, so the browser has fetched the
    # redirect's target once (without the portal's cookie); nothing more: no retry, no
    # sub-resource, nothing typed. (Blocking that one request is docs/reliability.md's
    # open issue.)
    assert Recorder.hits in ([], [f"/orders/{SCENARIO_ORDER} cookie=None"]), Recorder.hits


def test_login_state_and_journal_are_private_and_secrets_never_printed(
    make_cli: Callable[..., Assistant],
) -> None:
    cli = make_cli(scenario("awaiting_shipment"))
    password = cli.accounts[0]["password"]
    result = cli("-vv", "--log-format", "json", "cancel", SCENARIO_ORDER, "--json")
    assert result.returncode == 0, result
    assert password not in result.stdout and password not in result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines and {"time", "level", "logger", "message"} <= set(lines[0])
    private = [cli.journal_path, *(cli.data_dir / "logins").glob("*.json")]
    assert len(private) == 2, private
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in cli.data_dir.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


def test_a_wrong_password_is_not_echoed(make_cli: Callable[..., Assistant]) -> None:
    data = scenario("awaiting_shipment")
    cli = make_cli(data)
    cli.accounts = [{**data["accounts"][0], "password": "not-the-pass-4321"}]
    result = cli("-vv", "--log-format", "json", "cancel", SCENARIO_ORDER, "--json")
    assert result.returncode == 2, result
    assert "not-the-pass-4321" not in result.stdout + result.stderr
