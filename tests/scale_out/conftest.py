"""The scale-out's cluster for one test: the mock portal, a private Redis and PostgreSQL
database (``tests/conftest.py``), and ``order-assistant worker`` processes on them.

Everything is real: the workers are the CLI as a deployment starts it, each with its own
Chromium; the journal is read back with psycopg, the way an operator would.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from assistant.journal.store import open_journal
from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import REAP_TIMEOUT, Assistant, Result
from tests.support.journals import pg_attempts
from tests.support.portal import set_faults, wait_until
from tests.support.scenarios import scenario
from tests.support.servers import RedisServer

#: The two accounts of ``two_account_orders``.
FIRST = {"email": "buyer@example.com", "password": "buyer-pass-2026", "name": "Alex"}
SECOND = {"email": "other@example.com", "password": "other-pass-2026", "name": "Sam"}
#: A lease short enough that a killed worker's case is taken over within the test (a live
#: worker's heartbeat renews its own); it also sets how long a case stays marked queued.
TEST_LEASE_SECONDS = "15"
#: How often the beat enqueues the due cases in these tests.
BEAT_EVERY = "2"


def two_account_orders(count: int) -> dict[str, Any]:
    """``awaiting_payment`` with ``count`` unpaid orders (each cancelled at once by
    "Cancel order"), alternately of the two accounts: ids ``order_id(n)``."""
    data = scenario("awaiting_payment")
    first = data["orders"][0]
    placed = datetime.fromisoformat(first["placed_at"])
    data["accounts"] = [FIRST, SECOND]
    data["orders"] = [
        {
            **first,
            "id": order_id(n),
            "account": (FIRST, SECOND)[n % 2]["email"],
            "placed_at": (placed - timedelta(minutes=n)).isoformat(),
        }
        for n in range(count)
    ]
    return data


def order_id(index: int) -> str:
    """The order number of ``two_account_orders``' order ``index`` (16 digits)."""
    return f"8411{index:012d}"


@dataclass
class Cluster:
    """The CLI bound to one portal, one Redis and one PostgreSQL database."""

    assistant: Assistant
    portal: PortalHandle
    redis: RedisServer
    journal_url: str
    workers: dict[str, subprocess.Popen[str]] = field(default_factory=dict)

    def __call__(self, *args: str, **extra: str | None) -> Result:
        return self.assistant(*args, **extra)

    def open_cases(self, orders: list[str]) -> None:
        """Journal the orders as new cases of their accounts, as a ``cancel`` that was
        interrupted before it started would leave them (all due)."""
        states = self.portal.state()
        now = datetime.fromisoformat(states["now"])
        with open_journal(self.journal_url) as journal:
            for order in orders:
                account = states["orders"][order]["account"]
                journal.open_case(account, order, {"kind": "cancel"}, now)

    def enqueue(self) -> int:
        """``order-assistant enqueue`` (in this process: no browser); how many it queued."""
        result = self.assistant.invoke("enqueue", "--json")
        assert result.returncode == 0, result
        queued: int = result.json()["queued"]
        return queued

    def start_worker(self, name: str, *extra: str) -> subprocess.Popen[str]:
        """``order-assistant -v worker --name NAME``, running until stopped or killed."""
        process = self.assistant.start("-v", "worker", "--name", name, *extra)
        self.workers[name] = process
        return process

    def start_beat(self) -> subprocess.Popen[str]:
        """``order-assistant beat``, enqueueing the due cases every ``BEAT_EVERY`` s."""
        return self.assistant.start("-v", "beat", "--every", BEAT_EVERY)

    def kill(self, name: str) -> None:
        """``kill -9`` the worker and its browser."""
        self.assistant.kill(self.workers.pop(name))

    def stop_workers(self) -> dict[str, str]:
        """SIGTERM every worker (Celery's warm shutdown) and their logs, by name."""
        logs = {}
        for name, process in self.workers.items():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                _, logs[name] = process.communicate(timeout=REAP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.assistant.kill(process)
                logs[name] = "(killed: did not stop on SIGTERM)"
        self.workers.clear()
        return logs

    def logs_of_dead(self) -> str:
        """What a worker that stopped by itself said (for a failing assertion)."""
        return "\n".join(
            f"--- {name} exited {p.returncode}\n{p.communicate()[1][-3000:]}"
            for name, p in self.workers.items()
            if p.poll() is not None
        )

    def cases(self) -> dict[str, dict[str, Any]]:
        """The journal's cases by order number (status, lease), read with psycopg."""
        with psycopg.connect(self.journal_url) as db:
            rows = db.execute(
                "SELECT order_id, status, lease_holder FROM cases ORDER BY id"
            ).fetchall()
        return {row[0]: {"status": row[1], "lease_holder": row[2]} for row in rows}

    def attempts(self, order: str) -> list[tuple[str, str | None]]:
        """The order's attempts (action, outcome), oldest first."""
        return pg_attempts(self.journal_url, order)

    def wait_until_closed(self, orders: list[str], *, timeout: float) -> None:
        """Until the portal shows every order closed (workers still alive), bounded."""

        def closed() -> bool:
            assert not self.logs_of_dead(), self.logs_of_dead()
            states = self.portal.state()["orders"]
            return all(states[o]["state"] == "closed" for o in orders)

        wait_until(closed, timeout=timeout, what=f"{len(orders)} orders to be cancelled")

    def wait_until_journaled(self, orders: list[str], status: str, *, timeout: float) -> None:
        """Until the journal holds every order's case in ``status``, bounded."""

        def done() -> bool:
            assert not self.logs_of_dead(), self.logs_of_dead()
            cases = self.cases()
            return all(cases.get(o, {}).get("status") == status for o in orders)

        wait_until(done, timeout=timeout, what=f"{len(orders)} cases to be {status}")


@pytest.fixture
def cluster(
    portal: PortalHandle, redis: RedisServer, postgres_url: str, tmp_path: Path
) -> Iterator[Cluster]:
    """A cluster on ``two_account_orders`` (the test resets the portal to its count)."""
    assistant = Assistant(portal.server, tmp_path / "data", accounts=[FIRST, SECOND])
    assistant.env.update(
        {
            "ORDER_ASSISTANT_BROKER_URL": redis.url,
            "ORDER_ASSISTANT_JOURNAL_URL": postgres_url,
            "ORDER_ASSISTANT_LEASE_SECONDS": TEST_LEASE_SECONDS,
        }
    )
    cluster = Cluster(assistant, portal, redis, postgres_url)
    yield cluster
    cluster.stop_workers()
    assistant.kill_started()
    set_faults(portal, [])
