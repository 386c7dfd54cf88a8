"""Cool-downs after an anti-bot check: doubling on repeats, journaled, and refused clearly."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.app import safety
from assistant.app.safety import cooling_down
from assistant.app.settings import Cooldown as CooldownSettings
from assistant.app.settings import Settings
from assistant.domain.errors import AntiBotError, CoolingDownError
from assistant.journal.store import MIGRATIONS, Cooldown, Journal, open_journal
from tests.support.journals import BACKENDS, location_for

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FIRST = timedelta(minutes=30)
LONGEST = timedelta(hours=4)
REPEAT_WITHIN = timedelta(hours=24)


@pytest.fixture(params=BACKENDS)
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    """The journal on each backend: the cool-down rules are the same on both."""
    with open_journal(location_for(request, tmp_path)) as opened:
        yield opened


def check(
    journal: Journal, at: datetime, account: str = "alex", reason: str = "captcha"
) -> Cooldown:
    return journal.start_cooldown(
        account, at, reason, first=FIRST, longest=LONGEST, repeat_within=REPEAT_WITHIN
    )


def test_the_first_cooldown_lasts_first(journal: Journal) -> None:
    cooldown = check(journal, NOW)
    assert cooldown == Cooldown("alex", NOW, NOW + FIRST, 30.0, "captcha")


def test_a_repeat_within_repeat_within_of_the_end_doubles(journal: Journal) -> None:
    first = check(journal, NOW)
    later = first.until + timedelta(hours=23)
    second = check(journal, later, reason="punish page")
    assert second.minutes == 60.0
    assert second.started_at == later and second.until == later + timedelta(minutes=60)
    assert second.reason == "punish page"


def test_a_repeat_during_the_cooldown_doubles_too(journal: Journal) -> None:
    check(journal, NOW)
    assert check(journal, NOW + timedelta(minutes=5)).minutes == 60.0


def test_doubling_stops_at_longest(journal: Journal) -> None:
    minutes, at = [], NOW
    for _ in range(6):
        cooldown = check(journal, at)
        minutes.append(cooldown.minutes)
        at = cooldown.until + timedelta(minutes=1)
    assert minutes == [30.0, 60.0, 120.0, 240.0, 240.0, 240.0]


def test_a_check_long_after_the_last_starts_again_at_first(journal: Journal) -> None:
    check(journal, NOW)
    second = check(journal, NOW + timedelta(hours=1))
    assert second.minutes == 60.0
    much_later = second.until + REPEAT_WITHIN + timedelta(minutes=1)
    again = check(journal, much_later)
    assert again.minutes == 30.0 and again.until == much_later + FIRST


def test_cooldown_is_the_last_one_and_cooldowns_lists_them_by_account(journal: Journal) -> None:
    assert journal.cooldown("alex") is None and journal.cooldowns() == []
    check(journal, NOW, account="sam", reason="too many requests")
    check(journal, NOW, account="alex")
    last = check(journal, NOW + timedelta(minutes=40), account="alex", reason="punish page")
    assert journal.cooldown("alex") == last
    assert journal.cooldown("nobody") is None
    listed = journal.cooldowns()
    assert [(c.account, c.minutes, c.reason) for c in listed] == [
        ("alex", 60.0, "punish page"),
        ("sam", 30.0, "too many requests"),
    ]


def test_a_cooldown_is_active_before_its_end_only() -> None:
    paris = timezone(timedelta(hours=1))
    cooldown = Cooldown("alex", NOW, NOW + FIRST, 30.0, "captcha")
    assert cooldown.active(NOW)
    assert cooldown.active(NOW + FIRST - timedelta(seconds=1))
    assert not cooldown.active(NOW + FIRST)
    assert not cooldown.active(NOW + FIRST + timedelta(seconds=1))
    assert cooldown.active(datetime(2025, 3, 1, 13, 29, tzinfo=paris))  # 12:29 UTC
    assert not cooldown.active(datetime(2025, 3, 1, 13, 31, tzinfo=paris))  # 12:31 UTC


def test_a_cooldown_survives_reopening_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with open_journal(path) as first_run:
        started = check(first_run, NOW)
    with open_journal(path) as next_run:
        stored = next_run.cooldown("alex")
        assert stored == started
        assert stored is not None and stored.until.utcoffset() == timedelta(0)
        # The next run knows it is a repeat.
        assert check(next_run, started.until + timedelta(hours=2)).minutes == 60.0
    with open_journal(path) as third_run:
        assert [c.minutes for c in third_run.cooldowns()] == [60.0]


def test_a_version_2_journal_gets_the_safety_tables(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with open_journal(path) as journal:
        case = journal.open_case("alex", "8211279521850001", {"cancel": True}, NOW)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE cooldowns")
    db.execute("DROP TABLE paced_actions")
    db.execute("DROP TABLE sessions")  # and what version 4 added
    db.execute("ALTER TABLE cases DROP COLUMN lease_holder")
    db.execute("ALTER TABLE cases DROP COLUMN lease_until")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()

    with open_journal(path) as journal:
        assert journal.schema_version == len(MIGRATIONS) == 4
        tables = {
            row[0]
            for row in journal._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        assert {"cooldowns", "paced_actions"} <= tables
        assert journal.find_case("alex", "8211279521850001") == case  # the rest is kept
        assert check(journal, NOW).minutes == 30.0
        journal.record_paced_action("alex", 1_700_000_000.0)
        assert journal.paced_actions("alex", since=0) == [1_700_000_000.0]


def test_start_cooldown_takes_its_durations_from_the_settings(
    journal: Journal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDER_ASSISTANT_CONFIG", str(tmp_path / "no-config.toml"))
    settings = Settings(
        data_dir=tmp_path,
        cooldown=CooldownSettings(first_minutes=10, longest_hours=0.5, repeat_within_hours=1),
    )
    error = AntiBotError("the portal asks for a captcha", challenge="slider captcha")
    minutes = []
    at = NOW
    for _ in range(4):
        cooldown = safety.start_cooldown(journal, settings, "alex", error, at)
        minutes.append(cooldown.minutes)
        at = cooldown.until + timedelta(minutes=59)
    assert minutes == [10.0, 20.0, 30.0, 30.0]
    assert journal.cooldown("alex") == cooldown and cooldown.reason == "slider captcha"
    later = safety.start_cooldown(journal, settings, "alex", error, at + timedelta(hours=2))
    assert later.minutes == 10.0


def test_cooling_down_names_the_account_the_reason_and_the_end() -> None:
    cooldown = Cooldown("alex@example.com", NOW, NOW + FIRST, 30.0, "punish page")
    error = cooling_down(cooldown)
    assert isinstance(error, CoolingDownError) and isinstance(error, AntiBotError)
    assert error.exit_code == 75
    assert "alex@example.com" in error.message
    assert "(punish page)" in error.message
    assert "until 2025-03-01 12:30 UTC" in error.message
    assert error.challenge == "punish page" and error.order_id is None
    assert error.fix is not None and "status" in error.fix


def test_cooling_down_shows_the_end_in_utc_and_names_the_order() -> None:
    tokyo = timezone(timedelta(hours=9))
    until = datetime(2025, 3, 1, 21, 30, tzinfo=tokyo)  # 12:30 UTC
    error = cooling_down(Cooldown("sam", NOW, until, 30.0, "captcha"), "8211279521850001")
    assert "until 2025-03-01 12:30 UTC" in error.message
    assert error.message.endswith("(order 8211279521850001)")
    assert error.order_id == "8211279521850001"


def test_cooling_down_never_shows_an_end_earlier_than_the_real_one() -> None:
    until = datetime(2025, 3, 1, 12, 30, 45, tzinfo=UTC)
    error = cooling_down(Cooldown("alex", NOW, until, 30.75, "captcha"))
    found = re.search(r"until (\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?) UTC", error.message)
    assert found is not None
    shown = datetime.fromisoformat(found.group(1)).replace(tzinfo=UTC)
    assert shown >= until
