"""The batch: N orders across 2 accounts, read + cancel each, with 1, 2 or 4 contexts.

The real ``flows`` code (sync Playwright) runs in N greenlets on ONE browser: one
``sync_playwright()`` and one Chromium, one browser context per worker. Playwright's sync
API already runs its callbacks (route and locator handlers) in greenlets of their own
(``playwright._impl._greenlets.run_in_greenlet``); the benchmark uses the same mechanism
for its workers, so while one worker waits for Chromium the others go on, exactly as N
tasks of the async API would. This uses two private names of Playwright (``run_in_greenlet``
and ``SyncBase._sync``); ``--batch-threads`` would be the fallback if they ever change.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import greenlet
from playwright._impl._greenlets import run_in_greenlet
from pydantic import SecretStr

from benchmarks import procstat
from benchmarks.flows_bench import REASONS
from benchmarks.scenario import ACCOUNTS, NOW
from benchmarks.server import PortalProcess
from flows.orders_page import OrdersPage
from flows.portal import Credentials, Portal
from flows.profile import load_profile
from flows.session import launched_browser


@dataclass
class BatchResult:
    concurrency: int
    orders: int
    seconds: float
    orders_per_minute: float
    cpu_s: float
    cpu_s_per_order: float
    server_cpu_s: float
    peak_rss_mb: float
    peak_pss_mb: float
    peak_processes: int
    errors: int
    cpu_by_kind: dict[str, float]


def run_concurrently(anchor: Any, steps: list[Callable[[], None]]) -> list[Any]:
    """Run sync-API callables concurrently in greenlets on the Playwright loop of ``anchor``."""

    async def gather() -> list[Any]:
        futures = [run_in_greenlet(greenlet.greenlet, step) for step in steps]
        return await asyncio.gather(*futures, return_exceptions=True)

    result: list[Any] = anchor._sync(gather())
    return result


def run_batch(
    server: PortalProcess, scenario: dict[str, Any], ids: list[list[str]], concurrency: int
) -> BatchResult:
    server.reset(scenario)
    profile = load_profile()
    creds = [Credentials(a["email"], SecretStr(a["password"])) for a in ACCOUNTS]
    tmp = Path(tempfile.mkdtemp(prefix="oa-bench-batch-"))
    states = [tmp / f"account{n}.json" for n in range(2)]
    queues = [deque(account_ids) for account_ids in ids]
    done = [0]

    # workers: c=1 does account 0 then 1; c=2 one per account; c=4 two per account
    plan = [[0, 1]] if concurrency == 1 else [[n % 2] for n in range(concurrency)]

    with launched_browser() as (_, browser):
        # sign in once per account (not measured): every worker context starts signed in
        for n in range(2):
            p = Portal(
                browser,
                base_url=server.url,
                profile=profile,
                credentials=creds[n],
                storage_state=states[n],
            )
            orders = OrdersPage(p.page, profile)
            p.open(profile.entry.orders_path, orders.cards.first.or_(orders.no_orders))
            p.close()

        def worker(accounts: list[int]) -> Callable[[], None]:
            def work() -> None:
                for n in accounts:
                    with Portal(
                        browser,
                        base_url=server.url,
                        profile=profile,
                        credentials=creds[n],
                        storage_state=states[n],
                    ) as p:
                        while queues[n]:
                            oid = queues[n].popleft()
                            p.read_order(oid, NOW)
                            result = p.cancel(
                                oid,
                                reasons=REASONS,
                                report_supplier=False,
                                now=NOW,
                                before_submit=lambda _d: None,
                            )
                            assert result.submitted, oid
                            done[0] += 1

            return work

        me = os.getpid()
        kinds0 = procstat.cpu_by_kind(me, exclude=(server.pid,))
        cpu0 = procstat.tree_cpu(me, exclude=(server.pid,))
        scpu0 = procstat.tree_cpu(server.pid)
        with procstat.Sampler(root=me, exclude=(server.pid,)) as sampler:
            t0 = time.perf_counter()
            outcomes = run_concurrently(browser, [worker(a) for a in plan])
            seconds = time.perf_counter() - t0
        cpu = procstat.tree_cpu(me, exclude=(server.pid,)) - cpu0
        kinds1 = procstat.cpu_by_kind(me, exclude=(server.pid,))
        by_kind = {k: round(v - kinds0.get(k, 0.0), 2) for k, v in kinds1.items()}
        server_cpu = procstat.tree_cpu(server.pid) - scpu0
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    for error in errors:
        print(f"  worker failed: {type(error).__name__}: {str(error).splitlines()[0]}")
    states_after = server.state()["orders"]
    total = sum(len(x) for x in ids)
    cancelled = sum(
        states_after[oid]["state"] in ("closed", "cancellation_requested")
        for account_ids in ids
        for oid in account_ids
    )
    if cancelled != done[0]:
        print(f"  warning: {done[0]} cancels reported, the portal shows {cancelled}")
    return BatchResult(
        concurrency=concurrency,
        orders=done[0],
        seconds=seconds,
        orders_per_minute=done[0] / seconds * 60,
        cpu_s=cpu,
        cpu_s_per_order=cpu / max(done[0], 1),
        server_cpu_s=server_cpu,
        peak_rss_mb=sampler.peak_rss / 2**20,
        peak_pss_mb=sampler.peak_pss / 2**20,
        peak_processes=sampler.peak_procs,
        errors=len(errors) + (total - cancelled),
        cpu_by_kind=by_kind,
    )
