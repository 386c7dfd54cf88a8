"""`status` and `report` read the shared journal when ORDER_ASSISTANT_JOURNAL_URL is set:
an operator on any machine sees the cases every worker wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.domain.kinds import CaseStatus
from assistant.journal.kinds import EventKind
from assistant.journal.store import open_journal
from tests.support.cli import invoke

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ORDER = "8211279521850077"


def test_status_and_report_show_the_cases_of_the_postgresql_journal(
    postgres_url: str, tmp_path: Path
) -> None:
    with open_journal(postgres_url) as journal:
        case = journal.open_case("alex@example.com", ORDER, {"cancel": True}, NOW)
        journal.update_case(
            case.id,
            status=CaseStatus.WAITING_SELLER,
            now=NOW,
            waiting_for="the seller",
            next_due=NOW + timedelta(days=1),
        )
        journal.record(case.id, EventKind.ADVICE, {"text": "wait for the seller"}, NOW)
        journal.lease_case(case.id, "worker-1", NOW, 600)
    env = {
        "ORDER_ASSISTANT_DATA_DIR": str(tmp_path / "operator"),
        "ORDER_ASSISTANT_CONFIG": str(tmp_path / "no-config.toml"),
        "ORDER_ASSISTANT_JOURNAL_URL": postgres_url,
        "ORDER_ASSISTANT_NOW": NOW.isoformat(),
    }

    listed = invoke("status", "--json", env=env)
    assert listed.returncode == 0, listed
    (shown,) = listed.json()
    assert shown["order_id"] == ORDER and shown["status"] == "waiting_seller"
    assert shown["next_due"] == (NOW + timedelta(days=1)).isoformat()
    assert shown["lease_holder"] == "worker-1"
    assert shown["lease_until"] == (NOW + timedelta(seconds=600)).isoformat()

    history = invoke("status", ORDER, "--json", env=env)
    assert history.returncode == 0, history
    assert history.json()[0]["history"][0]["payload"] == {"text": "wait for the seller"}

    page = tmp_path / "report.html"
    written = invoke("report", "--html", str(page), env=env)
    assert written.returncode == 0, written
    assert ORDER in page.read_text("utf-8")
    assert not (tmp_path / "operator" / "journal.sqlite3").exists()  # nothing local
