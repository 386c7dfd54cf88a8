"""The journal's contract, on the SQLite file and on PostgreSQL alike (``conftest.py``).

What the runner, the scheduler, the notifications and the safety rules rely on: cases
created once, history and attempts kept in order and read back as written, due cases in
the same order, notices announced once per problem, paced actions pruned, and all of it
still there for the next connection.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.domain.kinds import CaseStatus
from assistant.journal.kinds import AttemptOutcome, EventKind
from assistant.journal.store import Journal, open_journal

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MAIN = "8211279521850032"
OTHER = "8211279521850033"


def test_a_case_is_created_once_and_keeps_its_first_intent(journal: Journal) -> None:
    first = journal.open_case("alex", MAIN, {"cancel": True, "reason": "price"}, NOW)
    again = journal.open_case("alex", MAIN, {"change": True}, NOW + timedelta(hours=1))
    assert again == first and again.intent == {"cancel": True, "reason": "price"}
    assert first.status is CaseStatus.NEW and first.next_due is None
    assert first.created_at == NOW and first.created_at.utcoffset() == timedelta(0)
    assert journal.find_case("alex", MAIN) == first == journal.case(first.id)
    assert journal.find_case("sam", MAIN) is None and journal.case(10_000) is None
    sam = journal.open_case("sam", MAIN, {}, NOW)  # the same order number, another account
    assert [c.account for c in journal.cases(MAIN)] == ["alex", "sam"] and sam.id != first.id


def test_update_and_reschedule_set_where_a_case_stands(journal: Journal) -> None:
    case = journal.open_case("alex", MAIN, {}, NOW)
    paris = timezone(timedelta(hours=1))
    due = datetime(2025, 3, 2, 13, 0, tzinfo=paris)  # 12:00 UTC
    journal.update_case(
        case.id,
        status=CaseStatus.WAITING_SELLER,
        now=NOW + timedelta(minutes=1),
        waiting_for="the seller's answer",
        next_due=due,
        advice="nothing to do",
    )
    stored = journal.case(case.id)
    assert stored is not None and stored.status is CaseStatus.WAITING_SELLER
    assert (stored.waiting_for, stored.advice) == ("the seller's answer", "nothing to do")
    assert stored.next_due == due and stored.next_due.utcoffset() == timedelta(0)
    assert stored.updated_at == NOW + timedelta(minutes=1) and stored.created_at == NOW
    journal.reschedule(case.id, next_due=NOW, now=NOW + timedelta(minutes=2))
    moved = journal.case(case.id)
    assert moved is not None and moved.next_due == NOW and moved.advice == "nothing to do"
    with pytest.raises(ValueError):
        journal.update_case(case.id, status="done", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        journal.reschedule(case.id, next_due=datetime(2025, 3, 1), now=NOW)


def test_due_cases_come_in_order_and_skip_closed_and_later_ones(journal: Journal) -> None:
    ids = [journal.open_case("alex", f"82112795218500{n:02d}", {}, NOW).id for n in range(5)]
    never, later, soon, closed, pending = ids
    journal.update_case(later, status=CaseStatus.WAITING_REFUND, now=NOW, next_due=NOW)
    journal.update_case(
        soon, status=CaseStatus.WAITING_SELLER, now=NOW, next_due=NOW - timedelta(hours=1)
    )
    journal.update_case(closed, status=CaseStatus.DONE_REFUNDED, now=NOW)
    journal.update_case(
        pending, status=CaseStatus.WAITING_SELLER, now=NOW, next_due=NOW + timedelta(days=3)
    )
    # Not checked before the run, it counts as new; a case never scheduled comes first.
    assert [c.id for c in journal.due_cases(NOW)] == [never, soon, later]
    assert journal.next_due() == NOW - timedelta(hours=1)
    # An unconfirmed attempt makes a case due at once: it must be settled first.
    journal.begin_attempt(pending, "message_seller", {}, NOW)
    assert [c.id for c in journal.due_cases(NOW)] == [never, soon, later, pending]


def test_history_and_attempts_read_back_as_written(journal: Journal) -> None:
    case = journal.open_case("alex", MAIN, {}, NOW).id
    odd = {"z": 1, "a": [1, "two", None], "text": 'quote " nul \x00 emoji \U0001f600'}
    journal.record(case, EventKind.OBSERVATION, odd, NOW)
    journal.record(case, EventKind.PLAN, {"when": NOW}, NOW + timedelta(seconds=1))
    events = journal.events(case)
    assert [e.kind for e in events] == [EventKind.OBSERVATION, EventKind.PLAN]
    assert events[0].payload == odd and list(events[0].payload) == ["z", "a", "text"]
    assert events[1].payload == {"when": str(NOW)} and events[1].at == NOW + timedelta(seconds=1)
    assert [e.kind for e in journal.events(case, EventKind.PLAN)] == [EventKind.PLAN]

    first = journal.begin_attempt(case, "request_cancellation", {"reason": "price"}, NOW)
    second = journal.begin_attempt(case, "message_seller", {}, NOW)
    assert [a.id for a in journal.unsettled_attempts(case)] == [first, second]
    journal.settle_attempt(first, AttemptOutcome.CONFIRMED, NOW + timedelta(minutes=1))
    journal.settle_attempt(second, AttemptOutcome.NOT_APPLIED, NOW + timedelta(minutes=1))
    attempts = journal.attempts(case)
    assert [a.outcome for a in attempts] == [AttemptOutcome.CONFIRMED, AttemptOutcome.NOT_APPLIED]
    assert attempts[0].payload == {"reason": "price"} and attempts[0].attempted_at == NOW
    assert attempts[0].confirmed_at == NOW + timedelta(minutes=1)
    assert journal.unsettled_attempts(case) == []
    assert journal.done_actions(case) == {"request_cancellation"}


def test_an_attempt_is_durable_before_begin_attempt_returns(location: str | Path) -> None:
    # What "journaled before the click" means: another connection sees it at once.
    with open_journal(location) as worker, open_journal(location) as other:
        case = worker.open_case("alex", MAIN, {}, NOW).id
        attempt = worker.begin_attempt(case, "request_cancellation", {}, NOW)
        assert [a.id for a in other.unsettled_attempts(case)] == [attempt]
        assert [c.id for c in other.due_cases(NOW)] == [case]


def test_a_notice_is_open_until_its_problem_is_resolved(journal: Journal) -> None:
    key = "alex:problem:signin"
    assert not journal.notice_open(key)
    journal.record_notice(key, account="alex", order_id=None, kind="signin", now=NOW)
    journal.record_notice("sam:problem:signin", account="sam", order_id=None, kind="x", now=NOW)
    assert journal.notice_open(key)
    journal.resolve_notices("alex:problem:", NOW)
    assert not journal.notice_open(key) and journal.notice_open("sam:problem:signin")
    journal.record_notice(key, account="alex", order_id=MAIN, kind="signin", now=NOW)
    assert journal.notice_open(key)  # the problem came back: announced again


def test_paced_actions_are_kept_an_hour_per_account(journal: Journal) -> None:
    now = 1_700_000_000.25
    journal.record_paced_action("alex", now - 3600 - 400)
    journal.record_paced_action("sam", now - 3600 - 400)
    journal.record_paced_action("alex", now - 3600)  # an hour old: kept
    journal.record_paced_action("alex", now)
    assert journal.paced_actions("alex", since=0) == [now - 3600, now]
    assert journal.paced_actions("alex", since=now - 1) == [now]
    assert journal.paced_actions("sam", since=0) == [now - 3600 - 400]


def test_session_envelopes_are_stored_per_account(journal: Journal) -> None:
    assert journal.session_envelope("alex") is None and journal.session_accounts() == []
    journal.save_session_envelope("alex", b'{"sealed": 1}', NOW)
    journal.save_session_envelope("alex", b'{"sealed": 2}\x00\xff', NOW)
    journal.save_session_envelope("bob", b"{}", NOW)
    assert journal.session_envelope("alex") == b'{"sealed": 2}\x00\xff'
    assert journal.session_accounts() == ["alex", "bob"]
    assert journal.delete_session_envelope("alex") and not journal.delete_session_envelope("alex")
    assert journal.session_envelope("alex") is None


def test_everything_is_there_for_the_next_connection(location: str | Path) -> None:
    with open_journal(location) as first:
        case = first.open_case("alex", MAIN, {"cancel": True}, NOW)
        first.record(case.id, EventKind.ADVICE, {"text": "wait"}, NOW)
        first.lease_case(case.id, "worker-a", NOW, 60)
        version = first.schema_version
    with open_journal(location) as second:
        assert second.schema_version == version > 0
        stored = second.case(case.id)
        assert stored is not None and stored.intent == {"cancel": True}
        assert stored.lease_holder == "worker-a"
        assert [e.payload for e in second.events(case.id)] == [{"text": "wait"}]


def test_many_first_opens_at_once_migrate_once(location: str | Path) -> None:
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def open_it() -> None:
        barrier.wait()
        try:
            with open_journal(location) as journal:
                outcomes.append(journal.schema_version)
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(outcomes)) == 1 and isinstance(outcomes[0], int), outcomes
