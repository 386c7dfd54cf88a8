"""The main job in the distributed mode: the same orders, worked by queue workers.

Starts a private redis-server and PostgreSQL (Debian's, on loopback, in temporary folders,
as the tests do), the mock portal (demo scenario), and two ``order-assistant worker``
processes on them. ``order-assistant enqueue`` opens the seven orders' cases in the shared
journal and queues them; then, for each simulated day, ``run --queue`` queues what is due
and the workers do it. The workers' clock follows the portal's (ORDER_ASSISTANT_NOW), so
they are started again with the portal's time each simulated day, where a deployment's
workers would simply live through those days. Prints the same report as ``make demo``,
read from the shared journal, and what the portal recorded.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
from demo import (
    CLI,
    FOLLOW_UP_DAYS,
    ORDERS,
    demo_env,
    mock_portal,
    print_orders,
    print_portal_record,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `tests` is not installed
from assistant.journal.store import open_journal
from tests.support.servers import MissingServer, postgres_server, redis_server

WORKERS = ("w1", "w2")
#: How long one simulated day's work may take before the demo gives up (and says so).
DAY_TIMEOUT_S = 180.0


def settled(journal_url: str, now: datetime) -> bool:
    """No case is due at ``now`` and no worker holds one: the day's work is done."""
    with open_journal(journal_url) as journal:
        if journal.due_cases(now):
            return False
        return all(case.lease_holder is None for case in journal.cases())


def work_one_day(env: dict[str, str], control: httpx.Client, journal_url: str, first: bool) -> None:
    """Start the workers at the portal's time, queue what is due, wait until it is done."""
    now = control.get("/__mock__/state").json()["now"]
    env["ORDER_ASSISTANT_NOW"] = now
    workers = [
        subprocess.Popen(
            [*CLI, "worker", "--name", name],
            env=env,
            stdout=subprocess.DEVNULL,  # Celery's banner and shutdown lines
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in WORKERS
    ]
    try:
        command = ("enqueue", *ORDERS) if first else ("run", "--queue")
        print(
            f"\n$ order-assistant {' '.join(command)}   (portal time {now}; "
            f"workers {', '.join(WORKERS)})"
        )
        subprocess.run([*CLI, *command], env=env, check=True)
        deadline = time.monotonic() + DAY_TIMEOUT_S
        while not settled(journal_url, datetime.fromisoformat(now)):
            dead = [w for w in workers if w.poll() is not None]
            if dead:
                raise RuntimeError(f"a worker stopped: {dead[0].communicate()[1][-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the day's cases were not done in {DAY_TIMEOUT_S:.0f} s")
            time.sleep(0.5)  # allowed: polling the journal, not a page
    finally:
        for worker in workers:  # Celery's warm shutdown: the case under way finishes
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.communicate()


def main() -> int:
    try:
        with (
            tempfile.TemporaryDirectory(prefix="order-assistant-distributed-") as tmp,
            redis_server() as redis,
            postgres_server() as postgres,
            mock_portal() as (url, control),
        ):
            journal_url = postgres.database()
            env = {
                **demo_env(url, Path(tmp)),
                "ORDER_ASSISTANT_BROKER_URL": redis.url,
                "ORDER_ASSISTANT_JOURNAL_URL": journal_url,
            }
            print(
                f"mock portal at {url}/orders (demo scenario); Redis on :{redis.port}, "
                f"PostgreSQL on :{postgres.port}; workers: {', '.join(WORKERS)}"
            )
            print_orders()
            work_one_day(env, control, journal_url, first=True)
            elapsed = 0
            for day in FOLLOW_UP_DAYS:
                control.post("/__mock__/clock", json={"days": day - elapsed}).raise_for_status()
                elapsed = day
                work_one_day(env, control, journal_url, first=False)
            print("\nFinal report (the shared journal):")
            env["ORDER_ASSISTANT_NOW"] = control.get("/__mock__/state").json()["now"]
            subprocess.run([*CLI, "status"], env=env, check=False)
            print_portal_record(control)
        return 0
    except MissingServer as missing:
        print(
            f"{missing}: install it (as root: apt-get install redis-server postgresql)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
