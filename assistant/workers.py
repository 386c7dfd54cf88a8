"""Runs the orders of one command on up to N browser contexts of one Chromium.

A job is one order of one account. With one worker (one order, ``concurrency = 1``, or a
run being recorded or replayed) it all happens in the calling thread, on a browser it
launches. With more, Chromium runs behind a browser server (``flows.browser_server``)
and each worker thread drives its own context in it. Workers keep to the account they
are signed in to, so each holds one context at a time; reports come back to the calling
thread, which alone shows progress.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.errors import InterruptedRunError
from assistant.models import Intent
from assistant.runner import CaseReport
from assistant.settings import Account, Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One order to process: whose it is, and the intent when the user gave one now."""

    index: int
    account: Account
    order_id: str
    intent: Intent | None = None


class JobQueue:
    """The jobs of one command, shared by the workers; stops handing out at the deadline."""

    def __init__(self, jobs: Sequence[Job], deadline: float | None = None) -> None:
        orders = [(job.account.username, job.order_id) for job in jobs]
        if len(set(orders)) != len(orders):
            # Two workers on one order could both see "Cancel order" and both submit.
            raise ValueError("an order may be queued only once per command")
        self._pending = list(jobs)
        self._deadline = deadline
        self._lock = threading.Lock()
        self._closed = False
        self._blocked: dict[str, str] = {}
        self.out_of_time = False

    def take(self, prefer: str | None = None) -> Job | None:
        """The next job, one of account ``prefer`` if any is left; None when there is none."""
        with self._lock:
            if self._closed or not self._pending:
                return None
            if self._deadline is not None and time.monotonic() > self._deadline:
                self.out_of_time = True
                return None
            for position, job in enumerate(self._pending):
                if job.account.username == prefer:
                    return self._pending.pop(position)
            return self._pending.pop(0)

    def close(self) -> None:
        """Hand out nothing more (a worker failed, or the user interrupted)."""
        with self._lock:
            self._closed = True

    @property
    def left(self) -> int:
        """Jobs never handed out."""
        with self._lock:
            return len(self._pending)

    def block(self, account: str, why: str) -> None:
        """Mark an account as needing a person (its remaining jobs are held, not tried)."""
        with self._lock:
            self._blocked.setdefault(account, why)

    def blocked(self, account: str) -> str | None:
        """Why the account needs a person, or None."""
        with self._lock:
            return self._blocked.get(account)


Emit = Callable[[Job, CaseReport], None]
#: What a worker does: take jobs from the queue until it is empty, using this browser.
Work = Callable[["Browser", JobQueue, Emit], None]


def run_jobs(
    settings: Settings,
    jobs: JobQueue,
    work: Work,
    *,
    workers: int,
    progress: Callable[[CaseReport], None] = lambda _: None,
) -> list[CaseReport]:
    """Run ``work`` on ``workers`` contexts; the reports in the order the jobs were given."""
    done: list[tuple[int, CaseReport]] = []

    def collect(job: Job, report: CaseReport) -> None:
        done.append((job.index, report))
        progress(report)

    total = jobs.left
    log.info("%d order(s) on %d browser context(s)", total, max(workers, 1))
    try:
        if workers <= 1:
            from flows.session import launched_browser

            with launched_browser(
                settings.browser, headless=settings.headless, slow_mo=settings.slow_mo
            ) as (_, browser):
                work(browser, jobs, collect)
        else:
            _run_threads(settings, jobs, work, workers, collect)
    except KeyboardInterrupt:
        raise InterruptedRunError(
            f"interrupted after {len(done)} of {total} order(s)",
            fix="`order-assistant run` does the rest (an order cut off half-way is settled "
            "from what the portal shows, never done twice); `order-assistant status` "
            "shows where each stands",
        ) from None
    return [report for _, report in sorted(done, key=lambda item: item[0])]


def _run_threads(
    settings: Settings, jobs: JobQueue, work: Work, workers: int, collect: Emit
) -> None:
    from flows.browser_server import browser_server, connected_browser

    results: queue.Queue[tuple[Job, CaseReport] | None] = queue.Queue()

    def worker() -> None:
        try:
            with connected_browser(endpoint, slow_mo=settings.slow_mo) as browser:
                work(browser, jobs, lambda job, report: results.put((job, report)))
        except BaseException:
            jobs.close()  # the others finish their current order, then stop
            raise
        finally:
            results.put(None)

    interrupted = False
    with (
        browser_server(settings.browser, headless=settings.headless) as endpoint,
        ThreadPoolExecutor(workers, thread_name_prefix="case-worker") as pool,
    ):
        futures = [pool.submit(worker) for _ in range(workers)]
        running = workers
        try:
            while running:
                item = results.get()
                if item is None:
                    running -= 1
                else:
                    collect(*item)
        except KeyboardInterrupt:
            # No new order is started; the ones under way finish (the browser server
            # ignores the terminal's Ctrl-C) before the pool lets us out of this block.
            interrupted = True
            jobs.close()
    if interrupted:
        while not results.empty():
            if (item := results.get()) is not None:
                collect(*item)
        raise KeyboardInterrupt
    failures = [error for future in futures if (error := future.exception()) is not None]
    for other in failures[1:]:
        log.error("another worker failed too: %s", str(other).splitlines()[0])
    if failures:
        raise failures[0]  # a worker's unexpected failure is the command's failure
