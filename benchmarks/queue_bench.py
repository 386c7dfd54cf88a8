"""The distributed mode measured: the queue's overhead per case, and throughput at 1, 2 and
4 worker processes next to the single-process ``run``.

    .venv/bin/python -m benchmarks.queue_bench [--orders 48] [--workers 1 2 4] [--json out.json]

Everything real and on this machine: a private redis-server and PostgreSQL (as the tests
start them), the mock portal in its own process, ``order-assistant worker`` processes each
with its own Chromium, and ``order-assistant run`` (SQLite, 1 and 2 contexts) for the
baseline. The batch: ``--orders`` due cases over 8 accounts (the queue works one account on
one worker at a time, so 2 accounts would cap 4 workers at 2), alternately unpaid (cancelled
at once) and paid (a request with "No", then a message). Pacing off, as in benchmarks/batch.py:
the figures are the machine's, not an account's safe pace (docs/scale-out.md plans with both).

- **run** (embedded): the CLI process from start to exit: Python, the browser, the sign-ins.
- **queue, N workers**: the workers are started and answer a ping first (their start-up is
  a deployment's, paid once a day, not per batch); then ``enqueue`` and the time until the
  journal shows every case settled (none due, none leased). The first task of each worker
  still launches its browser and signs in.
- **overhead per case**: 200 tasks for cases that are settled (not due): each is a Celery
  delivery, the lease taken and given back, the case read, the ack; no browser work.
  What the queue adds to every case, measured apart from the portal.
- **memory**: peak PSS of the worker processes and their browsers, per worker.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import procstat
from benchmarks.scenario import NOW, build
from benchmarks.server import PortalProcess
from flows.browser.sessions import KEY_ENV, new_key
from tests.support.cli import NO_PACING
from tests.support.servers import PostgresServer, RedisServer, postgres_server, redis_server

ACCOUNTS = [
    {"email": f"shop{n}@bench.test", "password": f"shop{n}-pass-2026", "name": f"Shop {n}"}
    for n in range(8)
]
CLI = (sys.executable, "-m", "assistant")
NOOP_TASKS = 200
SETTLE_TIMEOUT_S = 900.0


@dataclass
class Figure:
    mode: str
    processes: int
    orders: int
    seconds: float
    orders_per_minute: float
    cpu_s_per_order: float
    peak_pss_mb: float
    peak_pss_mb_per_worker: float | None = None


def scenario(orders: int) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """``orders`` orders over 8 accounts, alternately unpaid and paid; (account, id) pairs."""
    per_account = max(1, orders // len(ACCOUNTS))
    kinds = ["unpaid" if i % 2 == 0 else "paid" for i in range(per_account)]
    data = build([kinds, kinds], f"bench-queue-{orders}")
    base = data["orders"][: len(kinds)]  # account 0's orders, re-issued for each account
    data["accounts"] = ACCOUNTS
    data["orders"] = []
    pairs = []
    for n, account in enumerate(ACCOUNTS):
        for index, order in enumerate(base):
            oid = f"83{n:02d}{index:012d}"
            data["orders"].append({**order, "id": oid, "account": account["email"]})
            pairs.append((account["email"], oid))
    return data, pairs


def environment(portal: PortalProcess, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ORDER_ASSISTANT_")},
        "ORDER_ASSISTANT_PORTAL_URL": portal.url,
        "ORDER_ASSISTANT_ACCOUNTS": json.dumps(
            [{"username": a["email"], "password": a["password"]} for a in ACCOUNTS]
        ),
        "ORDER_ASSISTANT_DATA_DIR": str(data_dir),
        "ORDER_ASSISTANT_CONFIG": str(data_dir / "none.toml"),
        "ORDER_ASSISTANT_NOW": NOW.isoformat(),
        KEY_ENV: new_key(),
        **NO_PACING,
        **extra,
    }


def open_cases(location: str | Path, pairs: list[tuple[str, str]]) -> None:
    from assistant.journal.store import open_journal

    with open_journal(location) as journal:
        for account, oid in pairs:
            journal.open_case(account, oid, {"kind": "cancel"}, NOW)


def settled(location: str, now: datetime) -> bool:
    from assistant.journal.store import open_journal

    with open_journal(location) as journal:
        return not journal.due_cases(now) and all(c.lease_holder is None for c in journal.cases())


def check_portal(portal: PortalProcess, pairs: list[tuple[str, str]]) -> int:
    """Orders not cancelled exactly once on the portal (must be 0)."""
    orders = portal.state()["orders"]
    return sum(
        1
        for _, oid in pairs
        if orders[oid]["state"] not in ("closed", "cancellation_requested")
        or len(orders[oid]["cancellation_requests"]) != 1
    )


def embedded_run(
    portal: PortalProcess, pairs: list[tuple[str, str]], contexts: int
) -> tuple[Figure, Figure | None]:
    """``order-assistant run`` on a SQLite journal of the same due cases; at 1 context,
    also the follow-up checks a day later."""
    data, _ = scenario(len(pairs))
    portal.reset(data)
    with tempfile.TemporaryDirectory(prefix="oa-bench-run-") as tmp:
        env = environment(
            portal,
            Path(tmp),
            ORDER_ASSISTANT_CONCURRENCY=str(contexts),
            ORDER_ASSISTANT_MIN_ORDERS_PER_CONTEXT="1",
        )
        open_cases(Path(tmp) / "journal.sqlite3", pairs)
        figure = timed_run(portal, env, "run (SQLite)", contexts, len(pairs))
        wrong = check_portal(portal, pairs)
        assert wrong == 0, f"{wrong} orders not cancelled exactly once"
        later = follow_up(portal, env, Path(tmp) / "journal.sqlite3") if contexts == 1 else None
    return figure, later


def follow_up(portal: PortalProcess, env: dict[str, str], journal: Path) -> Figure:
    """A day later, ``run`` again: the requests' cases are due for their daily check (the
    seller's answer; none yet), as every waiting case is each day until it closes."""
    from assistant.journal.store import open_journal

    portal.control.post("/__mock__/clock", json={"days": 1}).raise_for_status()
    later = NOW + timedelta(days=1)
    with open_journal(journal) as opened:
        due = len(opened.due_cases(later))
    env = {**env, "ORDER_ASSISTANT_NOW": later.isoformat()}
    return timed_run(portal, env, "follow-up check (run)", 1, due)


def timed_run(
    portal: PortalProcess, env: dict[str, str], mode: str, processes: int, cases: int
) -> Figure:
    """``order-assistant run`` as a whole process: its time, CPU per case and peak PSS."""
    me = os.getpid()
    with procstat.Sampler(root=me, exclude=(portal.pid,)) as sampler:
        started = time.perf_counter()
        subprocess.run(
            [*CLI, "run", "--max-minutes", "60"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        seconds = time.perf_counter() - started
    return Figure(
        mode,
        processes,
        cases,
        round(seconds, 1),
        round(cases / seconds * 60, 1),
        round(_cpu(sampler, me, {}) / max(cases, 1), 2),
        round(sampler.peak_pss / 2**20),
    )


def _cpu(sampler: procstat.Sampler, me: int, before: dict[int, float]) -> float:
    """CPU seconds of every process the sampler saw since ``before``, the benchmark's own
    process (which only starts things and polls) left out."""
    return sum(
        cpu - before.get(pid, 0.0) for pid, (_, cpu) in sampler.last_cpu.items() if pid != me
    )


@contextmanager
def workers(env: dict[str, str], count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` worker processes, started and answering a ping; stopped (warm) on exit."""
    processes = [
        subprocess.Popen(
            [*CLI, "worker", "--name", f"w{n}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]
    try:
        app = _celery(env)
        deadline = time.monotonic() + 120
        while len(app.control.ping(timeout=0.5) or []) < count:
            if any(p.poll() is not None for p in processes):
                raise RuntimeError("a worker stopped while starting")
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not answer in 120 s")
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _celery(env: dict[str, str]) -> Any:
    from assistant.app.queue import make_celery
    from assistant.app.settings import Settings

    from_env = {k: v for k, v in env.items() if k.startswith("ORDER_ASSISTANT_")}
    previous = {k: os.environ.get(k) for k in from_env}
    os.environ.update(from_env)
    try:
        return make_celery(Settings())
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def queued_run(
    portal: PortalProcess,
    redis: RedisServer,
    postgres: PostgresServer,
    pairs: list[tuple[str, str]],
    count: int,
) -> tuple[Figure, float | None]:
    """The same cases through the queue on ``count`` workers; and, at 1 worker, the
    overhead per no-op task in ms."""
    data, _ = scenario(len(pairs))
    portal.reset(data)
    journal_url = postgres.database()
    import redis as redis_client

    redis_client.Redis.from_url(redis.url).flushall()
    with tempfile.TemporaryDirectory(prefix="oa-bench-queue-") as tmp:
        env = environment(
            portal,
            Path(tmp),
            ORDER_ASSISTANT_BROKER_URL=redis.url,
            ORDER_ASSISTANT_JOURNAL_URL=journal_url,
        )
        open_cases(journal_url, pairs)
        me = os.getpid()
        with (
            procstat.Sampler(
                root=me, exclude=(portal.pid, redis.process.pid if redis.process else 0)
            ) as sampler,
            workers(env, count),
        ):
            before = {pid: cpu for pid, (_, cpu) in sampler.last_cpu.items()}
            started = time.perf_counter()
            subprocess.run([*CLI, "enqueue"], env=env, check=True, stdout=subprocess.DEVNULL)
            deadline = time.monotonic() + SETTLE_TIMEOUT_S
            while not settled(journal_url, NOW):
                if time.monotonic() > deadline:
                    raise RuntimeError("the queue did not settle the cases in time")
                time.sleep(0.25)  # polling the journal
            seconds = time.perf_counter() - started
            cpu = _cpu(sampler, me, before)
            overhead = noop_overhead(env, journal_url) if count == 1 else None
    wrong = check_portal(portal, pairs)
    assert wrong == 0, f"{wrong} orders not cancelled exactly once"
    figure = Figure(
        "queue (PostgreSQL, Redis)",
        count,
        len(pairs),
        round(seconds, 1),
        round(len(pairs) / seconds * 60, 1),
        round(cpu / len(pairs), 2),
        round(sampler.peak_pss / 2**20),
        round(sampler.peak_pss / 2**20 / count),
    )
    return figure, overhead


def noop_overhead(env: dict[str, str], journal_url: str) -> float:
    """ms per task for ``NOOP_TASKS`` tasks of settled cases (delivery, lease, read, ack)."""
    import redis as redis_client

    from assistant.app.queue import CASES_QUEUE, send_case
    from assistant.journal.store import open_journal

    with open_journal(journal_url) as journal:
        cases = [(c.id, c.account) for c in journal.cases()]
    app = _celery(env)
    broker = redis_client.Redis.from_url(env["ORDER_ASSISTANT_BROKER_URL"])
    started = time.perf_counter()
    for n in range(NOOP_TASKS):
        case_id, account = cases[n % len(cases)]
        send_case(app, case_id, account)
    while broker.llen(CASES_QUEUE) or broker.hlen("unacked"):
        time.sleep(0.005)  # polling the broker
    return round((time.perf_counter() - started) / NOOP_TASKS * 1000, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.queue_bench")
    parser.add_argument("--orders", type=int, default=48)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    data, pairs = scenario(args.orders)
    figures: list[Figure] = []
    overhead: float | None = None
    with redis_server() as redis, postgres_server() as postgres, PortalProcess(data) as portal:
        follow_ups = []
        for contexts in (1, 2):
            figure, later = embedded_run(portal, pairs, contexts)
            figures.append(figure)
            follow_ups += [later] if later is not None else []
            print(figure, file=sys.stderr, flush=True)
        figures += follow_ups
        for count in args.workers:
            figure, noop = queued_run(portal, redis, postgres, pairs, count)
            figures.append(figure)
            overhead = noop if noop is not None else overhead
            print(figure, file=sys.stderr, flush=True)
    print(
        f"{'mode':<28}{'procs':>6}{'orders':>8}{'s':>8}{'orders/min':>12}"
        f"{'CPU s/order':>13}{'PSS MB':>8}{'/worker':>9}"
    )
    for f in figures:
        per = f"{f.peak_pss_mb_per_worker:.0f}" if f.peak_pss_mb_per_worker else "-"
        print(
            f"{f.mode:<28}{f.processes:>6}{f.orders:>8}{f.seconds:>8.1f}{f.orders_per_minute:>12.1f}"
            f"{f.cpu_s_per_order:>13.2f}{f.peak_pss_mb:>8.0f}{per:>9}"
        )
    print(f"queue overhead per case (no-op task: delivery, lease, read, ack): {overhead} ms")
    one = next((f for f in figures if f.mode.startswith("queue") and f.processes == 1), None)
    run1 = figures[0]
    if one is not None:
        extra = (one.seconds - run1.seconds) / one.orders * 1000
        print(
            f"1 worker vs run at 1 context: {extra:+.0f} ms per case "
            f"(the queue, PostgreSQL, and no start-up in the worker's figure)"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "figures": [asdict(f) for f in figures],
                    "noop_overhead_ms": overhead,
                    "cores": os.cpu_count(),
                    "median_orders_per_minute": statistics.median(
                        f.orders_per_minute for f in figures
                    ),
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
