"""Pacing: one account's actions spaced out and capped per hour, across threads and runs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from assistant.app.safety import pacer_for
from assistant.app.settings import Pacing, Settings
from assistant.journal.store import open_journal
from flows.pacing import HOUR, Pace, Pacer

START = 1_000.0


class FakeTime:
    """A clock that only moves when the pacer sleeps (or a test says so)."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def paced(
    pace: Pace, fake: FakeTime, *, history: tuple[float, ...] = (), jitter_all: bool = False
) -> tuple[Pacer, list[float]]:
    """A pacer on the fake clock, and the slot times it records."""
    recorded: list[float] = []
    pacer = Pacer(
        pace,
        history=history,
        record=recorded.append,
        clock=fake.clock,
        sleep=fake.sleep,
        jitter=(lambda most: most) if jitter_all else (lambda most: 0.0),
    )
    return pacer, recorded


def test_actions_are_min_seconds_apart() -> None:
    fake = FakeTime()
    pacer, recorded = paced(Pace(min_seconds=2, jitter_seconds=3), fake)
    for n in range(4):
        pacer.wait(f"page {n}")
    assert recorded == [1000.0, 1002.0, 1004.0, 1006.0]
    assert fake.slept == [2.0, 2.0, 2.0]
    assert fake.now == 1006.0 and pacer.waited == 6.0


def test_the_whole_jitter_is_added_at_most() -> None:
    fake = FakeTime()
    asked: list[float] = []

    def most_of_it(most: float) -> float:
        asked.append(most)
        return most

    pacer = Pacer(
        Pace(min_seconds=2, jitter_seconds=3),
        clock=fake.clock,
        sleep=fake.sleep,
        jitter=most_of_it,
    )
    for n in range(3):
        pacer.wait(f"page {n}")
    assert fake.slept == [5.0, 5.0]
    assert asked == [3.0, 3.0]  # the jitter is drawn up to jitter_seconds, once per gap


def test_no_sleep_once_the_interval_has_passed_by_itself() -> None:
    fake = FakeTime()
    pacer, recorded = paced(Pace(min_seconds=2), fake)
    pacer.wait("list")
    fake.now += 10
    pacer.wait("detail")
    assert recorded == [1000.0, 1010.0]
    assert fake.slept == [] and pacer.waited == 0.0


def test_pacing_off_never_sleeps_nor_records() -> None:
    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s with pacing off")

    recorded: list[float] = []
    pacer = Pacer(Pace(), record=recorded.append, clock=lambda: START, sleep=no_sleep)
    assert pacer.pace.off
    for n in range(50):
        pacer.wait(f"page {n}")
    assert recorded == [] and pacer.waited == 0.0
    assert pacer.room(10_000) == 0.0


def test_the_hourly_cap_waits_until_the_oldest_action_is_an_hour_old() -> None:
    fake = FakeTime()
    pacer, recorded = paced(Pace(min_seconds=1, per_hour=3), fake)
    for n in range(4):
        pacer.wait(f"page {n}")
    assert recorded == [1000.0, 1001.0, 1002.0, 1000.0 + HOUR]
    assert fake.slept == [1.0, 1.0, HOUR - 2]
    pacer.wait("page 4")  # now the second one must be an hour old
    assert recorded[-1] == 1001.0 + HOUR


def test_history_from_an_earlier_run_counts_toward_the_cap() -> None:
    fake = FakeTime(10_000.0)
    history = (10_000.0 - 50, 10_000.0 - 100, 10_000.0 - 20)  # any order
    pacer, recorded = paced(Pace(per_hour=3), fake, history=history)
    pacer.wait("list")
    assert recorded == [10_000.0 - 100 + HOUR]
    assert fake.slept == [HOUR - 100]


def test_history_from_an_earlier_run_counts_toward_the_interval() -> None:
    fake = FakeTime(10_000.0)
    pacer, recorded = paced(Pace(min_seconds=10), fake, history=(10_000.0 - 3, 10_000.0 - 60))
    pacer.wait("list")
    assert recorded == [10_007.0]
    assert fake.slept == [7.0]


def test_history_older_than_an_hour_does_not_count() -> None:
    fake = FakeTime(10_000.0)
    old = (10_000.0 - HOUR - 100, 10_000.0 - HOUR - 50, 10_000.0 - HOUR)
    pacer, recorded = paced(Pace(per_hour=3), fake, history=old)
    assert pacer.room(3) == 0.0
    pacer.wait("list")
    assert recorded == [10_000.0] and fake.slept == []


def test_record_is_told_each_slot_time_as_it_is_taken() -> None:
    fake = FakeTime()
    seen: list[tuple[float, float]] = []  # (slot, clock when told)
    pacer = Pacer(
        Pace(min_seconds=4),
        record=lambda at: seen.append((at, fake.now)),
        clock=fake.clock,
        sleep=fake.sleep,
        jitter=lambda most: 0.0,
    )
    for n in range(3):
        pacer.wait(f"page {n}")
    # Journaled as it is taken, before the action: a run killed then still counts it.
    assert seen == [(1000.0, 1000.0), (1004.0, 1004.0), (1008.0, 1008.0)]


def test_room_is_zero_while_the_actions_fit() -> None:
    fake = FakeTime()
    pacer, _ = paced(Pace(per_hour=3), fake)
    assert pacer.room(3) == 0.0
    pacer.wait("list")
    assert pacer.room(2) == 0.0
    assert pacer.room(0) == 0.0


def test_room_is_the_seconds_until_the_actions_fit() -> None:
    fake = FakeTime()
    pacer, _ = paced(Pace(per_hour=3), fake)
    pacer.wait("list")  # at 1000
    fake.now = 1050.0
    pacer.wait("detail")  # at 1050
    fake.now = 1100.0
    assert pacer.room(1) == 0.0
    assert pacer.room(2) == 1000.0 + HOUR - 1100.0  # the first one must leave the hour
    assert pacer.room(3) == 1050.0 + HOUR - 1100.0  # both must
    fake.now = 1000.0 + HOUR
    assert pacer.room(2) == 0.0  # the first one is an hour old now


def test_room_without_an_hourly_cap_is_zero() -> None:
    fake = FakeTime()
    pacer, _ = paced(Pace(min_seconds=3), fake)
    pacer.wait("list")
    assert pacer.room(1_000_000) == 0.0


def test_two_threads_sharing_a_pacer_act_min_seconds_apart_however_late_they_wake() -> None:
    """Real threads on the real clock: each slot is taken when it has come, so two actions
    are never closer than ``min_seconds``, even when a thread wakes late (here: one thread
    dawdles after some of its waits, as a loaded machine makes it)."""
    taken: list[float] = []  # the times the slots were taken (list.append is atomic)
    pacer = Pacer(Pace(min_seconds=0.02), record=taken.append, jitter=lambda most: 0.0)
    barrier = threading.Barrier(2)

    def worker(name: str) -> None:
        barrier.wait()
        for n in range(15):
            pacer.wait(f"{name} page {n}")
            if name == "slow" and n % 3 == 0:
                time.sleep(0.015)  # allowed: the late waker this test is about

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("fast", "slow")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert len(taken) == 30
    gaps = [b - a for a, b in zip(sorted(taken), sorted(taken)[1:], strict=False)]
    assert min(gaps) >= 0.02 - 1e-9, sorted(gaps)[:3]

def settings_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pacing: Pacing) -> Settings:
    monkeypatch.setenv("ORDER_ASSISTANT_CONFIG", str(tmp_path / "no-config.toml"))
    return Settings(data_dir=tmp_path, pacing=pacing)


def test_pacer_for_sees_the_journaled_actions_of_the_last_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_with(
        tmp_path, monkeypatch, Pacing(min_seconds=1, jitter_seconds=0, per_hour=3)
    )
    now = time.time()
    with open_journal(settings.journal_path) as journal:
        for age in (30, 20, 10):
            journal.record_paced_action("alex@example.com", now - age)
        journal.record_paced_action("sam@example.com", now - 15)

    alex = pacer_for(settings, "alex@example.com")
    assert alex.pace == Pace(min_seconds=1, jitter_seconds=0, per_hour=3)
    assert alex.room(0) == 0.0
    assert alex.room(1) == pytest.approx(HOUR - 30, abs=5)  # the oldest must leave the hour
    sam = pacer_for(settings, "sam@example.com")  # another account's actions are its own
    assert sam.room(2) == 0.0
    assert sam.room(3) == pytest.approx(HOUR - 15, abs=5)


def test_pacer_for_journals_each_new_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_with(
        tmp_path, monkeypatch, Pacing(min_seconds=1, jitter_seconds=0, per_hour=3)
    )
    earlier = time.time() - 10
    with open_journal(settings.journal_path) as journal:
        journal.record_paced_action("alex@example.com", earlier)
    pacer = pacer_for(settings, "alex@example.com")
    pacer.wait("list")  # the last action was 10 s ago: a slot at once, no sleep
    assert pacer.waited == 0.0
    with open_journal(settings.journal_path) as journal:
        actions = journal.paced_actions("alex@example.com", since=0)
    assert len(actions) == 2 and actions[0] == earlier
    assert actions[1] == pytest.approx(time.time(), abs=5)
    again = pacer_for(settings, "alex@example.com")  # the next run counts both
    assert again.room(1) == 0.0
    assert again.room(2) == pytest.approx(HOUR - 10, abs=5)


def test_pacer_for_with_pacing_off_leaves_the_journal_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_with(
        tmp_path, monkeypatch, Pacing(min_seconds=0, jitter_seconds=0, per_hour=0)
    )
    pacer = pacer_for(settings, "alex@example.com")
    assert pacer.pace.off
    pacer.wait("list")
    assert not settings.journal_path.exists()


def test_journaled_actions_older_than_an_hour_are_pruned(tmp_path: Path) -> None:
    now = 1_700_000_000.0
    with open_journal(tmp_path / "journal.sqlite3") as journal:
        journal.record_paced_action("alex@example.com", now - HOUR - 400)
        journal.record_paced_action("sam@example.com", now - HOUR - 400)
        assert journal.paced_actions("alex@example.com", since=now - HOUR) == []

        journal.record_paced_action("alex@example.com", now - HOUR)  # an hour old: kept
        journal.record_paced_action("alex@example.com", now)
        assert journal.paced_actions("alex@example.com", since=0) == [now - HOUR, now]
        # Each account's own old actions only are dropped on the way.
        assert journal.paced_actions("sam@example.com", since=0) == [now - HOUR - 400]
