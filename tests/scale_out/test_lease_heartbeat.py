"""The lease heartbeat: a queue worker's lease on its case and lock on its account last as
long as the worker works the case, and no longer once it is gone.

Real parts, no browser: the private redis-server and, for each test asking for
``location``, a SQLite journal and a fresh PostgreSQL database (``tests/conftest.py``).
Leases of a second or so, so an expiry is seen within the test; the waits for one are
bounded polls, and the sleeps inside a "work" function are the simulated case itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
import redis as redis_client
from pydantic import SecretStr

from assistant.app.account_lock import AccountLocks, lock_key
from assistant.app.lease_heartbeat import LeaseHeartbeat
from assistant.app.portal_set import PortalSet
from assistant.app.queue_worker import CaseWorker
from assistant.app.runner import CaseReport
from assistant.app.settings import Settings
from assistant.app.workers import Job
from assistant.domain.kinds import CaseStatus
from assistant.journal.store import Case, Journal, open_journal
from tests.support.journals import BACKENDS, location_for
from tests.support.servers import RedisServer, free_port

ACCOUNT = "buyer@example.com"
ORDER = "8211279521850001"
MINE = "w1@host#1"
THEIRS = "w2@host#2"
LEASE_S = 2.0  # renewed every 0.67 s: 1.3 s of room for a late tick on a loaded machine


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where the journal goes: a SQLite file, or an empty PostgreSQL database."""
    return location_for(request, tmp_path)


@pytest.fixture
def client(redis: RedisServer) -> Iterator[redis_client.Redis]:
    client = redis_client.Redis.from_url(redis.url)
    yield client
    client.close()


def open_a_case(location: str | Path) -> int:
    with open_journal(location) as journal:
        return journal.open_case(ACCOUNT, ORDER, {"kind": "cancel"}, datetime.now(UTC)).id


def lease(journal: Journal, case_id: int, holder: str) -> Case | None:
    return journal.lease_case(case_id, holder, datetime.now(UTC), LEASE_S)


def poll(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Until ``check()``, at most ``timeout`` seconds (an expiry, a renewal: not a page)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)  # allowed: bounded polling of a journal row or a Redis key


def warnings_saying(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and text in r.getMessage()
    ]


@contextmanager
def beating(
    location: str | Path, client: redis_client.Redis, caplog: pytest.LogCaptureFixture
) -> Iterator[tuple[Journal, int, AccountLocks, LeaseHeartbeat]]:
    """A case leased and its account locked by this worker, the heartbeat renewing both
    (warnings captured): the journal, the case, the worker's locks and the heartbeat."""
    case_id = open_a_case(location)
    mine = AccountLocks(client, MINE, LEASE_S)
    with open_journal(location) as journal:
        assert lease(journal, case_id, MINE) is not None
        assert mine.acquire(ACCOUNT) is None
        with (
            caplog.at_level(logging.WARNING),
            LeaseHeartbeat(location, mine, case_id, ACCOUNT, LEASE_S) as heartbeat,
        ):
            yield journal, case_id, mine, heartbeat


class TimedWorker(CaseWorker):
    """A queue worker whose case is ``work()`` instead of a browser's."""

    def __init__(
        self, settings: Settings, client: redis_client.Redis, work: Callable[[], None]
    ) -> None:
        super().__init__(settings, MINE, client)
        self.work = work

    def portals(self) -> PortalSet:
        return cast(PortalSet, None)  # never used: ``_work`` is the case

    def _work(self, journal: Journal, case: Case, job: Job) -> CaseReport:
        self.work()
        return CaseReport(case.account, case.order_id, CaseStatus.WAITING_SELLER)


def test_a_worker_keeps_its_case_and_account_through_work_three_leases_long(
    location: str | Path,
    client: redis_client.Redis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("ORDER_ASSISTANT_CONFIG", str(tmp_path / "no-config.toml"))
    url = SecretStr(location) if isinstance(location, str) else None
    settings = Settings(
        data_dir=tmp_path / "data", journal_url=url, username=ACCOUNT, lease_seconds=LEASE_S
    )
    case_id = open_a_case(settings.journal_location)
    theirs = AccountLocks(client, THEIRS, LEASE_S)
    refused: list[float] = []

    def work() -> None:
        with open_journal(settings.journal_location) as other:
            started = time.monotonic()
            while (elapsed := time.monotonic() - started) < 3 * LEASE_S:
                assert lease(other, case_id, THEIRS) is None, f"lease taken after {elapsed} s"
                assert theirs.acquire(ACCOUNT) == MINE, f"lock taken after {elapsed} s"
                refused.append(elapsed)
                time.sleep(0.1)  # allowed: the case's work, three leases long

    with caplog.at_level(logging.WARNING):
        outcome = TimedWorker(settings, client, work).handle(case_id, ACCOUNT)

    assert outcome == CaseStatus.WAITING_SELLER.value
    assert refused and refused[-1] >= 2.5 * LEASE_S  # refused well past the first lease
    assert not warnings_saying(caplog, "")
    with open_journal(settings.journal_location) as journal:  # released after the work
        after = journal.case(case_id)
        assert after is not None and after.lease_holder is None
        assert lease(journal, case_id, THEIRS) is not None
    assert theirs.acquire(ACCOUNT) is None


def test_a_stopped_heartbeat_leaves_the_case_and_account_to_others_after_a_lease(
    location: str | Path, client: redis_client.Redis
) -> None:
    case_id = open_a_case(location)
    mine, theirs = AccountLocks(client, MINE, LEASE_S), AccountLocks(client, THEIRS, LEASE_S)
    with open_journal(location) as journal:
        first = lease(journal, case_id, MINE)
        assert first is not None and first.lease_until is not None
        taken_until = first.lease_until
        assert mine.acquire(ACCOUNT) is None
        heartbeat = LeaseHeartbeat(location, mine, case_id, ACCOUNT, LEASE_S)
        heartbeat.start()

        def renewed() -> bool:
            case = journal.case(case_id)
            assert case is not None and case.lease_until is not None
            return case.lease_until > taken_until

        poll(renewed, timeout=10, what="the heartbeat's first renewal")
        heartbeat.stop()  # the worker dies: nothing released
        assert not heartbeat.lost.is_set()
        stopped = time.monotonic()

        poll(lambda: lease(journal, case_id, THEIRS) is not None, timeout=10, what="the lease")
        poll(lambda: theirs.acquire(ACCOUNT) is None, timeout=10, what="the account's lock")
        assert time.monotonic() - stopped < 10 * LEASE_S  # a lease, not the default 600 s


def test_a_lock_taken_by_another_is_not_renewed_and_the_loss_is_logged(
    location: str | Path, client: redis_client.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    mine = AccountLocks(client, MINE, LEASE_S)
    theirs = AccountLocks(client, THEIRS, 30)
    key = lock_key(ACCOUNT)

    # The script alone: a lock that is no longer ours is neither extended nor taken back.
    assert mine.acquire(ACCOUNT) is None
    assert mine.renew(ACCOUNT) is True
    client.delete(key)  # expired (or lost with a Redis that kept no data) ...
    assert theirs.acquire(ACCOUNT) is None  # ... and taken by another worker
    assert mine.renew(ACCOUNT) is False
    assert mine.holder_of(ACCOUNT) == THEIRS and int(client.pttl(key)) > 10_000
    client.delete(key)

    # The heartbeat: the next renewal finds the lock another's, says so, and stops.
    with beating(location, client, caplog) as (journal, case_id, mine, heartbeat):
        # Expired and taken by another worker, in one step: a lock merely gone, the
        # heartbeat takes again (the next test).
        client.set(key, THEIRS, px=30_000)
        poll(heartbeat.lost.is_set, timeout=10, what="the heartbeat to see the loss")
    [warning] = warnings_saying(caplog, "lease lost")
    assert f"case {case_id}" in warning and ACCOUNT in warning and THEIRS in warning
    # No more renewals: the case's lease runs out while the worker may still work.
    with open_journal(location) as journal:
        poll(lambda: lease(journal, case_id, THEIRS) is not None, timeout=10, what="expiry")
    assert mine.holder_of(ACCOUNT) == THEIRS


def test_a_lock_gone_with_nobody_holding_it_is_taken_again(
    location: str | Path, client: redis_client.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """A Redis restarted without its data drops the lock while the worker still works the
    account: the heartbeat takes it again and goes on renewing the case's lease."""
    with beating(location, client, caplog) as (journal, case_id, mine, heartbeat):
        client.delete(lock_key(ACCOUNT))  # as a restart without persistence leaves it
        poll(lambda: mine.holder_of(ACCOUNT) == MINE, timeout=10, what="the lock again")
        time.sleep(2 * LEASE_S)  # allowed: the rest of the case's work, two leases long
        assert mine.holder_of(ACCOUNT) == MINE
        assert lease(journal, case_id, THEIRS) is None  # the case's lease still renewed
    assert not heartbeat.lost.is_set()
    [warning] = warnings_saying(caplog, "was gone")
    assert ACCOUNT in warning and "taken again" in warning


def test_a_case_the_work_closed_is_not_a_lost_lease(
    location: str | Path, client: redis_client.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """A closed case is never leased, so its renewal "fails": still ours, not lost."""
    with beating(location, client, caplog) as (journal, case_id, mine, heartbeat):
        journal.update_case(case_id, status=CaseStatus.DONE_CANCELLED, now=datetime.now(UTC))
        time.sleep(2 * LEASE_S)  # allowed: the rest of the case's work, two leases long
        assert mine.holder_of(ACCOUNT) == MINE  # still renewed: not given up
    assert not heartbeat.lost.is_set()
    assert not warnings_saying(caplog, "")


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unreachable_journal_and_redis_are_tried_again_at_each_tick(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on these: a directory SQLite cannot open, or a port nobody serves.
    nowhere = tmp_path if backend == "sqlite" else f"postgresql://w@127.0.0.1:{free_port()}/j"
    dead_redis = redis_client.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    locks = AccountLocks(dead_redis, MINE, 0.3)

    def each_failed_twice() -> bool:
        return (
            len(warnings_saying(caplog, "renewing the lease on case 1:")) >= 2
            and len(warnings_saying(caplog, f"renewing the lock on account {ACCOUNT}:")) >= 2
        )

    with (
        caplog.at_level(logging.WARNING),
        LeaseHeartbeat(nowhere, locks, 1, ACCOUNT, 0.3) as heartbeat,
    ):
        poll(each_failed_twice, timeout=20, what="two failed renewals of each")
    assert not heartbeat.lost.is_set()
    dead_redis.close()
