"""Leases on cases: one holder at a time, renewable, expiring, released only by the holder.

What keeps two workers (threads here, processes or machines in production) from working
on the same case; it runs on both backends (``conftest.py``).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.domain.kinds import CaseStatus
from assistant.journal.store import Journal, open_journal

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEASE_S = 600.0
ORDER = "8211279521850001"


def a_case(journal: Journal, order_id: str = ORDER) -> int:
    return journal.open_case("alex", order_id, {"cancel": True}, NOW).id


def test_a_free_open_case_is_leased_to_its_first_taker(journal: Journal) -> None:
    case_id = a_case(journal)
    leased = journal.lease_case(case_id, "worker-a", NOW, LEASE_S)
    assert leased is not None
    assert leased.lease_holder == "worker-a"
    assert leased.lease_until == NOW + timedelta(seconds=LEASE_S)
    assert journal.case(case_id) == leased
    assert journal.lease_case(case_id, "worker-b", NOW + timedelta(seconds=1), LEASE_S) is None


def test_the_holder_renews_its_lease(journal: Journal) -> None:
    case_id = a_case(journal)
    journal.lease_case(case_id, "worker-a", NOW, LEASE_S)
    later = NOW + timedelta(seconds=300)
    renewed = journal.lease_case(case_id, "worker-a", later, LEASE_S)
    assert renewed is not None and renewed.lease_until == later + timedelta(seconds=LEASE_S)


def test_an_expired_lease_is_taken_by_another_holder(journal: Journal) -> None:
    case_id = a_case(journal)
    journal.lease_case(case_id, "dead-worker", NOW, LEASE_S)
    at_expiry = NOW + timedelta(seconds=LEASE_S)
    taken = journal.lease_case(case_id, "worker-b", at_expiry, LEASE_S)
    assert taken is not None and taken.lease_holder == "worker-b"


def test_a_closed_case_is_never_leased(journal: Journal) -> None:
    case_id = a_case(journal)
    journal.update_case(case_id, status=CaseStatus.DONE_REFUNDED, now=NOW)
    assert journal.lease_case(case_id, "worker-a", NOW, LEASE_S) is None
    assert journal.lease_case(999_999, "worker-a", NOW, LEASE_S) is None  # no such case


def test_release_by_a_non_holder_does_nothing(journal: Journal) -> None:
    case_id = a_case(journal)
    journal.lease_case(case_id, "worker-a", NOW, LEASE_S)
    journal.release_case(case_id, "worker-b")
    held = journal.case(case_id)
    assert held is not None and held.lease_holder == "worker-a"
    journal.release_case(case_id, "worker-a")
    free = journal.case(case_id)
    assert free is not None and free.lease_holder is None and free.lease_until is None
    assert journal.lease_case(case_id, "worker-b", NOW, LEASE_S) is not None


def test_a_lease_changes_nothing_else_about_the_case(journal: Journal) -> None:
    case_id = a_case(journal)
    before = journal.case(case_id)
    journal.lease_case(case_id, "worker-a", NOW + timedelta(hours=1), LEASE_S)
    journal.release_case(case_id, "worker-a")
    assert journal.case(case_id) == before


def test_due_cases_unleased_only_leaves_out_the_held_ones(journal: Journal) -> None:
    held, free, expired = (a_case(journal, f"82112795218500{n:02d}") for n in (1, 2, 3))
    journal.lease_case(held, "worker-a", NOW, LEASE_S)
    journal.lease_case(expired, "dead-worker", NOW - timedelta(seconds=LEASE_S), LEASE_S)
    assert [c.id for c in journal.due_cases(NOW)] == [held, free, expired]
    assert [c.id for c in journal.due_cases(NOW, unleased_only=True)] == [free, expired]


def test_two_connections_racing_for_a_case_one_wins(location: str | Path) -> None:
    with open_journal(location) as journal:
        case_ids = [a_case(journal, f"82112795218501{n:02d}") for n in range(20)]
    for case_id in case_ids:
        winners = race(location, case_id, holders=["worker-a", "worker-b", "worker-c"])
        assert len(winners) == 1, (case_id, winners)
    with open_journal(location) as journal:
        assert all(c.lease_holder is not None for c in journal.cases())


def race(location: str | Path, case_id: int, holders: list[str]) -> list[str]:
    """Each holder on its own connection asks for the case at the same moment: the winners."""
    winners: list[str] = []
    errors: list[BaseException] = []
    opened = threading.Barrier(len(holders))

    def take(holder: str) -> None:
        try:
            with open_journal(location) as journal:
                opened.wait()  # every connection is open: the leases are asked together
                if journal.lease_case(case_id, holder, NOW, LEASE_S) is not None:
                    winners.append(holder)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(holder,)) for holder in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return winners
