"""The batch: N due cases across 2 accounts, done by the product at 1, 2 or 4 contexts.

What a scheduled ``order-assistant run`` does, through the same code (``service.run_due``
with ``concurrency = N``): the journal holds one new case per order (intent: cancel),
and the run observes each order, lets the policy decide, cancels it (unpaid: at once;
paid: a request with "No" to the report, then a message to the seller) and journals it
all. With N > 1 Chromium runs behind a browser server and N worker threads each drive a
context of it (``assistant.app.workers``). Everything is in the time: browser start, the one
sign-in per account, tracing of every case (the product's default), the journal writes.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from assistant.app.service import run_due
from assistant.app.settings import Account, Pacing, Settings
from assistant.journal.store import open_journal
from benchmarks import procstat
from benchmarks.scenario import ACCOUNTS, NOW
from benchmarks.server import PortalProcess
from flows.browser.sessions import KEY_ENV, new_key


@dataclass
class BatchResult:
    concurrency: int
    orders: int
    seconds: float
    orders_per_minute: float
    cpu_s: float
    cpu_s_per_order: float
    #: Every process of the tree as sampled (``cpu_by_kind`` summed): the reaped-tree
    #: figure above misses renderers whose parents never wait for them.
    cpu_all_s_per_order: float
    server_cpu_s: float
    peak_rss_mb: float
    peak_pss_mb: float
    peak_processes: int
    errors: int
    cpu_by_kind: dict[str, float]
    peak_pss_by_kind: dict[str, float]


def run_batch(
    server: PortalProcess,
    scenario: dict[str, Any],
    ids: list[list[str]],
    concurrency: int,
    *,
    trace: Literal["retries", "always", "never"] = "retries",
    browser_args: tuple[str, ...] = (),
) -> BatchResult:
    server.reset(scenario)
    # The product keeps the sessions encrypted: a key of the benchmark's own (no keyring).
    os.environ.setdefault(KEY_ENV, new_key())
    data_dir = Path(tempfile.mkdtemp(prefix="oa-bench-batch-"))
    settings = Settings(
        portal_url=server.url,
        data_dir=data_dir,
        accounts=[
            Account(username=a["email"], password=SecretStr(a["password"])) for a in ACCOUNTS
        ],
        concurrency=concurrency,
        min_orders_per_context=1,  # exactly `concurrency` contexts, however few orders
        # Pacing off: the benchmark measures the machine, not the safe pace of an account
        # (which would make every figure "N actions x 3-5 s").
        pacing=Pacing(min_seconds=0, jitter_seconds=0, per_hour=0),
        trace=trace,
        browser_args=list(browser_args),
        now=NOW,
    )
    with open_journal(settings.journal_location) as journal:
        for account, account_ids in zip(ACCOUNTS, ids, strict=True):
            for oid in account_ids:
                journal.open_case(account["email"], oid, {"kind": "cancel"}, NOW)

    me = os.getpid()
    cpu_me0 = procstat.own_cpu(me) or 0.0
    cpu0 = procstat.tree_cpu(me, exclude=(server.pid,))
    scpu0 = procstat.tree_cpu(server.pid)
    with procstat.Sampler(root=me, exclude=(server.pid,)) as sampler:
        t0 = time.perf_counter()
        reports = run_due(settings, max_minutes=120)
        seconds = time.perf_counter() - t0
    cpu = procstat.tree_cpu(me, exclude=(server.pid,)) - cpu0
    # Every process of the run as the sampler last saw it (a browser closed with the run
    # is gone by now), less what the benchmark process had used before.
    by_kind = {k: round(v, 2) for k, v in sampler.cpu_by_kind({me: cpu_me0}).items()}
    server_cpu = procstat.tree_cpu(server.pid) - scpu0

    failed = [r for r in reports if r.error]
    for report in failed[:5]:
        print(f"  {report.order_id} failed: {(report.error or '').splitlines()[0]}")
    orders = server.state()["orders"]
    wrong = [
        oid
        for account_ids in ids
        for oid in account_ids
        if orders[oid]["state"] not in ("closed", "cancellation_requested")
        or len(orders[oid]["cancellation_requests"]) != 1
    ]
    if wrong:
        print(f"  {len(wrong)} order(s) not cancelled exactly once on the portal: {wrong[:3]}")
    done = len(reports) - len(failed)
    return BatchResult(
        concurrency=concurrency,
        orders=done,
        seconds=seconds,
        orders_per_minute=done / seconds * 60,
        cpu_s=cpu,
        cpu_s_per_order=cpu / max(done, 1),
        cpu_all_s_per_order=sum(by_kind.values()) / max(done, 1),
        server_cpu_s=server_cpu,
        peak_rss_mb=sampler.peak_rss / 2**20,
        peak_pss_mb=sampler.peak_pss / 2**20,
        peak_processes=sampler.peak_procs,
        errors=len(set(wrong) | {r.order_id for r in failed}),
        cpu_by_kind=by_kind,
        peak_pss_by_kind={k: round(v) for k, v in sorted(sampler.peak_by_kind.items())},
    )
