"""One vocabulary for cases (states, event kinds, attempt outcomes), one serialiser for a
case report, and Playwright's failures turned into ours at the flows boundary."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from assistant.app.runner import RECORDED_OUTCOME, CaseReport
from assistant.domain.errors import BrowserFailure, BrowserGoneError, NeedsUserError
from assistant.domain.kinds import CLOSED_CASE_STATES, CaseStatus
from assistant.journal.kinds import AttemptOutcome, EventKind
from assistant.journal.store import open_journal
from flows.browser.handle import browser_boundary
from tests.support.orders import SCENARIO_ORDER

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
MAIN = SCENARIO_ORDER


def test_closed_states_come_from_the_enum() -> None:
    closed = {s for s in CaseStatus if s.closed}
    assert closed == CLOSED_CASE_STATES
    assert {s.value for s in closed} == {
        "done_cancelled",
        "done_refunded",
        "nothing_to_do",
        "not_found",
    }
    assert not CaseStatus.NEW.closed and not CaseStatus.FAILED.closed


def test_the_journal_reads_back_members_and_skips_closed_cases(tmp_path: Path) -> None:
    with open_journal(tmp_path / "journal.sqlite3") as journal:
        case = journal.open_case("a@example.com", MAIN, {}, NOW)
        assert case.status is CaseStatus.NEW
        other = journal.open_case("a@example.com", "8211279521850033", {}, NOW)
        journal.update_case(other.id, status=CaseStatus.NOT_FOUND, now=NOW)
        assert [c.order_id for c in journal.due_cases(NOW + timedelta(hours=1))] == [MAIN]
        journal.record(case.id, EventKind.OBSERVATION, {"status": "closed"}, NOW)
        attempt = journal.begin_attempt(case.id, "request_cancellation", {}, NOW)
        journal.settle_attempt(attempt, AttemptOutcome.CONFIRMED, NOW)
        assert journal.events(case.id)[0].kind is EventKind.OBSERVATION
        assert journal.attempts(case.id)[0].outcome is AttemptOutcome.CONFIRMED
        with pytest.raises(ValueError):
            journal.update_case(case.id, status="done", now=NOW)  # type: ignore[arg-type]


def test_a_journal_written_with_plain_strings_still_reads(tmp_path: Path) -> None:
    """Stored values are the enums' values: an older journal needs no migration."""
    path = tmp_path / "journal.sqlite3"
    with open_journal(path) as journal:
        case = journal.open_case("a@example.com", MAIN, {}, NOW)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE cases SET status = 'waiting_seller'")
        db.execute(
            "INSERT INTO events (case_id, at, kind, payload) VALUES (?, ?, 'recovered', '{}')",
            (case.id, NOW.isoformat()),
        )
        db.execute(
            "INSERT INTO attempts (case_id, action_key, payload, attempted_at, confirmed_at,"
            " outcome) VALUES (?, 'cancel_now', '{}', ?, ?, 'not_applied')",
            (case.id, NOW.isoformat(), NOW.isoformat()),
        )
    with open_journal(path) as journal:
        (stored,) = journal.cases()
        assert stored.status is CaseStatus.WAITING_SELLER
        assert journal.events(stored.id, EventKind.RECOVERED)[0].kind is EventKind.RECOVERED
        assert journal.attempts(stored.id)[0].outcome is AttemptOutcome.NOT_APPLIED
        assert journal.done_actions(stored.id) == set()


def test_a_report_serialises_once_and_decides_on_types() -> None:
    failed = CaseReport("a", MAIN, CaseStatus.NEEDS_USER, failure=NeedsUserError("captcha"))
    data = failed.as_dict()
    assert data["status"] == "needs_user" and data["error"] == "captcha"
    assert data["actions"] == [] and data["plan"] is None
    assert failed.needs_user and not failed.browser_failed
    assert set(RECORDED_OUTCOME) <= set(data)
    planned = CaseReport("a", MAIN, CaseStatus.WAITING_SELLER, planned=True)
    assert planned.as_dict()["status"] == "plan: waiting_seller"
    gone = CaseReport("a", MAIN, CaseStatus.FAILED, failure=BrowserGoneError("x"))
    assert gone.browser_failed and not gone.needs_user


class FakeBrowser:
    def __init__(self, connected: bool) -> None:
        self.connected = connected

    def is_connected(self) -> bool:
        return self.connected


@pytest.mark.parametrize(("connected", "kind"), [(True, BrowserFailure), (False, BrowserGoneError)])
def test_playwright_failures_leave_flows_as_our_errors(
    connected: bool, kind: type[BrowserFailure]
) -> None:
    browser = FakeBrowser(connected)
    with (
        pytest.raises(kind, match="the browser failed: Target closed") as caught,
        browser_boundary(browser),  # type: ignore[arg-type]
    ):
        raise PlaywrightError("Target closed\ncall log: ...")
    assert type(caught.value) is kind
