"""Runs the orders of one command on up to N browser contexts of one Chromium.

A job is one order of one account. With one worker (one order, ``concurrency = 1``, or a
run being recorded or replayed) it all happens in the calling thread, on a browser it
launches. With more, Chromium runs behind a browser server (``flows.browser.server``)
and each worker thread drives its own context in it (one at a time: ``PortalSet``);
workers prefer the account they are signed in to, so contexts are rarely reopened.
Reports come back to the calling thread, which alone shows progress. Ctrl-C is the same
on both paths: no new order, the ones under way finish; a second Ctrl-C stops at once.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.app.runner import CaseReport
from assistant.app.settings import Account, Settings
from assistant.domain.errors import AssistantError, ConfigError, InterruptedRunError, first_line
from assistant.domain.models import Intent
from flows.browser.handle import BrowserHandle

if TYPE_CHECKING:
    from flows.browser.remote import RemoteBrowser

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
        self._blocked: dict[str, AssistantError] = {}
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

    def block(self, account: str, why: AssistantError) -> None:
        """Hold the account's remaining jobs (a person must sign in, or it cools down)."""
        with self._lock:
            self._blocked.setdefault(account, why)

    def blocked(self, account: str) -> AssistantError | None:
        """Why the account's jobs are held, or None."""
        with self._lock:
            return self._blocked.get(account)


Emit = Callable[[Job, CaseReport], None]
#: What a worker does: take jobs from the queue until it is empty, using this browser.
Work = Callable[[BrowserHandle, JobQueue, Emit], None]
#: How a worker thread gets its browser (its own Playwright, connected to the shared one).
Connect = Callable[[], AbstractContextManager[BrowserHandle]]


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
    if not total:
        return []
    log.info("%d order(s) on %d browser context(s)", total, max(workers, 1))
    ctrl_c = CtrlC(jobs)
    try:
        with ctrl_c:
            if workers <= 1:
                with launched_for(settings) as (_, browser):
                    work(browser, jobs, collect)
            else:
                _run_threads(settings, jobs, work, workers, collect)
    except Exception as exc:
        if not ctrl_c.pressed:
            if done:
                log.error(
                    "%d of %d order(s) done before this failure; `order-assistant status` "
                    "shows where each stands",
                    len(done),
                    total,
                )
            raise
        log.warning("after Ctrl-C: %s", first_line(exc))  # stopped at once, cut off
    except KeyboardInterrupt:
        pass  # the second Ctrl-C
    if ctrl_c.pressed:
        raise InterruptedRunError(
            f"interrupted after {len(done)} of {total} order(s)",
            fix="run the command again, or `order-assistant run` for the journaled cases (an "
            "order cut off half-way is settled from what the portal shows, never done twice); "
            "`order-assistant status` shows where each stands",
        )
    return [report for _, report in sorted(done, key=lambda item: item[0])]


def launched_for(
    settings: Settings, *, headless: bool | None = None
) -> AbstractContextManager[tuple[Any, BrowserHandle]]:
    """The browser of one command: the remote one when ``browser_ws_endpoint`` is set,
    else launched in this process as the settings say."""
    headless = settings.headless if headless is None else headless
    remote = remote_browser_for(settings, headless=headless)
    if remote is not None:
        from flows.browser.remote import remote_browser

        return remote_browser(remote, slow_mo=settings.slow_mo)
    from flows.session import launched_browser

    return launched_browser(
        settings.browser,
        headless=headless,
        slow_mo=settings.slow_mo,
        extra_args=settings.browser_args,
    )


def remote_browser_for(settings: Settings, *, headless: bool = True) -> RemoteBrowser | None:
    """The browser server to connect to (``browser_ws_endpoint`` and its token), or None
    to launch Chromium here. A window (``--headed``, ``login``) needs a local browser."""
    if settings.browser_ws_endpoint is None:
        return None
    from flows.browser.remote import ENDPOINT_KEY, RemoteBrowser

    token = settings.browser_token.get_secret_value() if settings.browser_token else None
    remote = RemoteBrowser.of(settings.browser_ws_endpoint, token)
    if not headless:
        raise ConfigError(
            f"a browser window cannot be shown here from the remote browser at {remote.address}",
            key=ENDPOINT_KEY,
            fix="unset it for this command (`login`, --headed): a local Chromium shows the window",
        )
    return remote


class CtrlC:
    """The first Ctrl-C starts no new order and lets the ones under way finish; a second
    stops at once. (Only the main thread receives signals; elsewhere this does nothing.)"""

    def __init__(self, jobs: JobQueue) -> None:
        self.jobs = jobs
        self.pressed = False
        self._installed = False
        self._previous: Any = None

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._first)
            self._installed = True
        return self

    def __exit__(self, *_: object) -> None:
        if self._installed:
            # None: the handler before was not set from Python; Python's own is the default.
            signal.signal(signal.SIGINT, self._previous or signal.default_int_handler)

    def _first(self, _signum: int, _frame: object) -> None:
        self.pressed = True
        self.jobs.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        log.warning(
            "Ctrl-C: finishing the order(s) under way, starting no new one "
            "(Ctrl-C again stops at once)"
        )


def _run_threads(
    settings: Settings, jobs: JobQueue, work: Work, workers: int, collect: Emit
) -> None:
    results: queue.Queue[tuple[Job, CaseReport] | None] = queue.Queue()

    def worker() -> None:
        try:
            with connect() as browser:
                work(browser, jobs, lambda job, report: results.put((job, report)))
        except BaseException:
            jobs.close()  # the others finish their current order, then stop
            raise
        finally:
            results.put(None)

    with _shared_browser(settings) as connect:
        pool = ThreadPoolExecutor(workers, thread_name_prefix="case-worker")
        futures = [pool.submit(worker) for _ in range(workers)]
        try:
            running = workers
            while running:
                item = results.get()
                if item is None:
                    running -= 1
                else:
                    collect(*item)
        except BaseException:
            # Stopping at once (a second Ctrl-C): the browser server goes now, and the
            # workers' calls fail; whatever was cut off is settled by the next run.
            jobs.close()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    failures = [error for future in futures if (error := future.exception()) is not None]
    for other in failures[1:]:
        log.error("another worker failed too: %s", first_line(other))
    if failures:
        raise failures[0]  # a worker's unexpected failure is the command's failure


@contextmanager
def _shared_browser(settings: Settings) -> Iterator[Connect]:
    """How each worker thread gets a browser of its own Playwright: from the remote browser
    server (asked once, here, so that a refusal is one error, not one per worker), or
    from a browser server started for this command."""
    remote = remote_browser_for(settings, headless=settings.headless)
    if remote is not None:
        from flows.browser.remote import remote_browser

        remote.check()

        @contextmanager
        def connect_remote() -> Iterator[BrowserHandle]:
            with remote_browser(remote, slow_mo=settings.slow_mo, checked=True) as (_, browser):
                yield browser

        yield connect_remote
        return
    from flows.browser.server import browser_server, connected_browser

    with browser_server(
        settings.browser, headless=settings.headless, extra_args=settings.browser_args
    ) as endpoint:
        yield lambda: connected_browser(endpoint, slow_mo=settings.slow_mo)
