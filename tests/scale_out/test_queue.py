"""The queue end to end: worker processes on Celery + Redis, the PostgreSQL journal, the
mock portal, real Chromium. Each order acted on once, one sign-in per account, nothing
lost when a worker is killed or Redis restarts, nothing done without the journal."""

from __future__ import annotations

import pytest
import redis as redis_client

from assistant.app.queue import CASES_QUEUE
from tests.scale_out.conftest import FIRST, SECOND, Cluster, order_id, two_account_orders
from tests.support.portal import requests_of, set_faults, wait_until
from tests.support.servers import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Generous bounds for a loaded 2-core machine; polling ends as soon as the state is there.
ALL_DONE_TIMEOUT = 150.0


def assert_each_cancelled_once(cluster: Cluster, orders: list[str]) -> None:
    states = cluster.portal.state()["orders"]
    for order in orders:
        assert states[order]["state"] == "closed", (order, states[order])
        assert len(requests_of(cluster.portal, order)) == 1, (
            order,
            requests_of(cluster.portal, order),
        )


def test_two_workers_two_accounts_every_order_once(cluster: Cluster) -> None:
    orders = [order_id(n) for n in range(40)]
    cluster.portal.reset(two_account_orders(len(orders)))

    cluster.start_worker("w1")
    cluster.start_worker("w2")
    cluster.open_cases(orders)
    assert cluster.enqueue() == 40

    cluster.wait_until_journaled(orders, "done_cancelled", timeout=ALL_DONE_TIMEOUT)
    logs = cluster.stop_workers()
    assert_each_cancelled_once(cluster, orders)
    # One sign-in per account: the lock kept the second worker off an account until the
    # first had signed in and saved the session, which the second then reused.
    assert cluster.portal.state()["sign_ins"] == {FIRST["email"]: 1, SECOND["email"]: 1}
    # Both workers worked cases (the queue really spread them).
    for name, log in logs.items():
        assert "done_cancelled" in log, (name, log[-3000:])
    # Nothing is due any more, and a second enqueue sends nothing.
    again = cluster("run", "--queue", "--json")
    assert again.returncode == 0 and again.json() == {"queued": 0}, again


def test_a_worker_killed_mid_case_is_finished_by_another_after_its_lease(
    cluster: Cluster,
) -> None:
    orders = [order_id(n) for n in range(4)]
    held = orders[0]
    cluster.portal.reset(two_account_orders(len(orders)))
    # The portal applies the held order's cancel, then does not answer: the worker that
    # clicked waits for the page while the portal has done it.
    set_faults(
        cluster.portal,
        [
            {
                "path": rf"^/orders/{held}/cancel$",
                "method": "POST",
                "when": "after",
                "delay_ms": 60_000,
            }
        ],
    )
    cluster.start_beat()
    cluster.start_worker("w1")
    cluster.start_worker("w2")
    cluster.open_cases(orders)
    assert cluster.enqueue() == len(orders)

    wait_until(
        lambda: len(requests_of(cluster.portal, held)) == 1,
        timeout=ALL_DONE_TIMEOUT,
        what="the held order's cancel to reach the portal",
    )
    holder = cluster.cases()[held]["lease_holder"]
    assert holder is not None
    killed = holder.split("@")[0]
    cluster.kill(killed)
    assert cluster.attempts(held) == [("cancel_now", None)]  # written, never confirmed
    set_faults(cluster.portal, [])

    # The other worker takes the case once the lease is over (the beat queues it again)
    # and settles the attempt from what the portal shows: no second cancel.
    cluster.wait_until_journaled(orders, "done_cancelled", timeout=ALL_DONE_TIMEOUT)
    cluster.stop_workers()
    assert_each_cancelled_once(cluster, orders)
    assert cluster.attempts(held) == [("cancel_now", "confirmed")]


def test_redis_restarted_mid_run_loses_nothing(cluster: Cluster) -> None:
    orders = [order_id(n) for n in range(6)]
    cluster.portal.reset(two_account_orders(len(orders)))
    cluster.start_beat()
    cluster.start_worker("w1")
    cluster.start_worker("w2")
    cluster.open_cases(orders)
    assert cluster.enqueue() == len(orders)

    def some_done() -> bool:
        states = cluster.portal.state()["orders"]
        return sum(states[o]["state"] == "closed" for o in orders) >= 2

    wait_until(some_done, timeout=ALL_DONE_TIMEOUT, what="the first orders to be cancelled")
    cluster.redis.restart()

    cluster.wait_until_journaled(orders, "done_cancelled", timeout=ALL_DONE_TIMEOUT)
    cluster.stop_workers()
    assert_each_cancelled_once(cluster, orders)


@pytest.mark.parametrize("command", ["enqueue", "worker"])
def test_an_unreachable_journal_is_exit_3_and_nothing_is_done(
    cluster: Cluster, command: str
) -> None:
    orders = [order_id(n) for n in range(2)]
    cluster.portal.reset(two_account_orders(len(orders)))
    cluster.open_cases(orders)
    assert cluster.enqueue() == len(orders)  # waiting on the queue
    dead = f"postgresql://postgres:pg-secret-2026@127.0.0.1:{free_port()}/journal"

    result = cluster(command, ORDER_ASSISTANT_JOURNAL_URL=dead)

    assert result.returncode == 3, result
    assert f"127.0.0.1:{dead.split(':')[3].split('/', maxsplit=1)[0]}" in result.stderr, result
    assert "pg-secret-2026" not in result.output
    assert all(requests_of(cluster.portal, order) == [] for order in orders)
    queue = redis_client.Redis.from_url(cluster.redis.url)
    assert queue.llen(CASES_QUEUE) == len(orders)  # left for a worker that has a journal
    queue.close()
