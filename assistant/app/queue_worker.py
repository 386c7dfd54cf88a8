"""One queue worker process: ``order-assistant worker``, a Celery worker that works cases.

The process keeps its browser and the current account's context from one task to the
next (``PortalSet``, as a worker thread of ``run`` does); the browser is launched on the
first case and closed when the worker stops. A task is worked as ``run`` works a due
case (``service.held_back`` and ``service.work_on_case``), inside two guards:

- the case's lease in the journal (``lease_seconds``): a second task for a case another
  worker holds, or for a closed or no longer due case, does nothing;
- the account's lock in Redis (``assistant.app.account_lock``): a case whose account
  another worker is on is tried again a little later (``Busy``), never dropped.

While the case is worked, both are renewed every third of ``lease_seconds``
(``assistant.app.lease_heartbeat``): they expire only when the worker is gone.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from assistant.app.account_lock import AccountLocks
from assistant.app.enqueue import QueuedMarks
from assistant.app.lease_heartbeat import LeaseHeartbeat
from assistant.app.logs import log_context
from assistant.app.portal_set import Login, PortalSet, logins_for
from assistant.app.queue import CASES_QUEUE, SCHEDULE_QUEUE, make_celery, redis_client
from assistant.app.runner import CaseReport
from assistant.app.safety import active_cooldown, cooling_down
from assistant.app.schedule import make_clock
from assistant.app.service import account_for, held_back, runner_for, work_on_case
from assistant.app.settings import Settings
from assistant.app.workers import Job, launched_for
from assistant.domain.errors import (
    AssistantError,
    BrowserFailure,
    ConfigError,
    JournalUnavailableError,
    PortalError,
    first_line,
)
from assistant.journal.store import Case, Journal, open_journal
from flows.browser.handle import browser_boundary

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)


class Busy(Exception):
    """The case cannot be worked now (its account is held elsewhere, the journal does not
    answer): the task is retried later."""


def is_due(journal: Journal, case: Case, now: datetime) -> bool:
    """Whether the case wants attention at ``now``, as ``due_cases`` decides it."""
    if case.status.closed:
        return False
    if case.next_due is None or case.next_due <= now:
        return True
    return bool(journal.unsettled_attempts(case.id))


class CaseWorker:
    """What one worker process holds across tasks: its browser, its portals, its logins."""

    def __init__(self, settings: Settings, holder: str, client: redis.Redis) -> None:
        self.settings = settings
        self.holder = holder
        self.locks = AccountLocks(client, holder, settings.lease_seconds)
        self.marks = QueuedMarks(client, settings.lease_seconds)
        self.clock = make_clock(settings)
        self._stack = ExitStack()
        self._portals: PortalSet | None = None
        self._logins: dict[str, Login] | None = None
        self._secrets: list[str] = []

    # -- one task -------------------------------------------------------------------------
    def handle(self, case_id: int, account: str) -> str:
        """Work the case if it is due and free; what became of it, in a few words.

        Raises ``Busy`` when it should be tried again later.
        """
        with log_context(account=account, case=case_id):
            try:
                outcome = self._in_journal(case_id)
            except Busy:
                with _redis_aside("keeping the case's queued mark"):
                    self.marks.keep(case_id)
                raise
            except Exception:
                # Failed outright: the case's own next check decides when it is tried
                # again, and the next beat may send it then.
                with _redis_aside("clearing the case's queued mark"):
                    self.marks.clear(case_id)
                raise
            with _redis_aside("clearing the case's queued mark"):
                self.marks.clear(case_id)
            log.info("case %s (%s): %s", case_id, account, outcome)
        return outcome

    def _in_journal(self, case_id: int) -> str:
        try:
            with open_journal(self.settings.journal_location) as journal:
                return self._leased(journal, case_id)
        except JournalUnavailableError as exc:
            raise Busy(f"the journal does not answer ({first_line(exc)})") from None

    def _leased(self, journal: Journal, case_id: int) -> str:
        import redis

        # The browser first (the first task only), so that the lease and the account's
        # lock are not held through Chromium's start, before their heartbeat renews them.
        try:
            self.portals()
        except PortalError as exc:  # not launched, or the browser server does not answer
            raise Busy(f"no browser ({first_line(exc)})") from None
        wall = datetime.now(UTC)  # leases are between processes: real time, never a demo's
        case = journal.lease_case(case_id, self.holder, wall, self.settings.lease_seconds)
        if case is None:
            return "skipped: closed, or another worker holds it"
        try:
            if not is_due(journal, case, self.clock()):
                return "skipped: not due"
            try:
                account = account_for(self.settings, case.account)
            except ConfigError as exc:
                log.error("case %s left alone: %s", case_id, exc)
                return "skipped: account not configured"
            try:
                other = self.locks.acquire(case.account)
            except redis.RedisError as exc:
                raise Busy(f"the account locks do not answer ({first_line(exc)})") from None
            if other is not None:
                raise Busy(f"account {case.account} is being worked by {other}")
            heartbeat = LeaseHeartbeat(
                self.settings.journal_location,
                self.locks,
                case.id,
                case.account,
                self.settings.lease_seconds,
            )
            try:
                with heartbeat:
                    report = self._work(journal, case, Job(0, account, case.order_id))
            finally:
                with _redis_aside("freeing the account's lock"):
                    self.locks.release(case.account)
        finally:
            journal.release_case(case_id, self.holder)
        return report.status

    def _work(self, journal: Journal, case: Case, job: Job) -> CaseReport:
        from assistant.app.notify import announce

        now = self.clock()
        cooldown = active_cooldown(journal, case.account, now)
        blocked = cooling_down(cooldown, case.order_id) if cooldown is not None else None
        logins = self._logins_once()
        runner = runner_for(self.settings, journal, None, self._secrets)
        report = held_back(journal, blocked, job, logins[case.account], now)
        if report is None:
            report, alive = work_on_case(self.settings, journal, runner, self.portals(), job)
            if not alive:
                self.close()  # the next case launches a new browser
        announce(self.settings, journal, [report], now)
        return report

    # -- held across tasks ----------------------------------------------------------------
    def _logins_once(self) -> dict[str, Login]:
        if self._logins is None:
            self._secrets = self.settings.secret_values()
            self._logins = logins_for(self.settings, self.settings.all_accounts())
        return self._logins

    def portals(self) -> PortalSet:
        """The worker's portals, on a browser launched at the first case that needs one
        (a ``PortalError`` when it cannot be launched or reached)."""
        if self._portals is None:
            try:
                with browser_boundary():
                    _, browser = self._stack.enter_context(launched_for(self.settings))
            except AssistantError:
                self.close()
                raise
            self._portals = self._stack.enter_context(
                PortalSet(self.settings, browser, self._logins_once())
            )
        return self._portals

    def close(self) -> None:
        """Close the context and the browser (the worker stops, or the browser died)."""
        stack, self._stack, self._portals = self._stack, ExitStack(), None
        try:
            with browser_boundary():
                stack.close()
        except BrowserFailure as exc:  # a browser that died leaves nothing to close
            log.warning("closing the browser: %s", first_line(exc))


@contextmanager
def _redis_aside(what: str) -> Iterator[None]:
    """Bookkeeping after the case that may fail while Redis restarts: what it leaves
    behind (a lock, a mark) expires by itself after ``lease_seconds``."""
    import redis

    try:
        yield
    except redis.RedisError as exc:
        log.warning("%s: %s (it expires by itself)", what, first_line(exc))


_WORKER: CaseWorker | None = None


def case_worker(settings: Settings) -> CaseWorker:
    """This process's ``CaseWorker`` (made on first use when ``run_worker`` did not)."""
    global _WORKER  # noqa: PLW0603 (one per process, as Celery's solo pool runs tasks)
    if _WORKER is None:
        _WORKER = CaseWorker(settings, default_holder(None), redis_client(settings))
    return _WORKER


def default_holder(name: str | None) -> str:
    """The worker's name in leases and locks: unique per process, readable in `status`."""
    return f"{name or f'worker{os.getpid()}'}@{socket.gethostname()}#{os.getpid()}"


def run_worker(
    settings: Settings,
    *,
    name: str | None = None,
    beat_every: float | None = None,
    loglevel: str = "WARNING",
) -> int:
    """Run a Celery worker (solo pool) on the queue until it is stopped; its exit code.

    Checks first that the broker and the journal answer, so a wrong URL is one clear
    error (exit 3) before anything is taken off the queue. ``beat_every``: also run the
    beat schedule, enqueueing the due cases that often (one worker of a deployment).
    """
    from celery import signals

    from assistant.app.queue import keep_our_logging

    global _WORKER  # noqa: PLW0603
    client = redis_client(settings)
    with open_journal(settings.journal_location):
        pass  # reachable, migrated
    holder = default_holder(name)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # the beat's schedule
    _WORKER = CaseWorker(settings, holder, client)
    app = make_celery(settings, beat_every=beat_every)

    def stop_browser(**_: object) -> None:
        if _WORKER is not None:
            _WORKER.close()

    keep_our_logging()
    signals.worker_shutdown.connect(stop_browser, weak=False)
    worker = app.Worker(
        hostname=holder.split("#")[0],
        pool="solo",
        concurrency=1,
        queues=[CASES_QUEUE, SCHEDULE_QUEUE],
        beat=beat_every is not None,
        schedule_filename=str(settings.data_dir / "beat-schedule"),
        quiet=True,
        loglevel=loglevel,
        without_gossip=True,
        without_mingle=True,
    )
    # Every line of this process says which worker wrote it (solo pool: the tasks run in
    # this thread, so the context holds for them too).
    with log_context(worker=holder):
        log.info("worker %s on the queue at %s", holder, _address(settings))
        worker.start()
    return int(worker.exitcode or 0)


def _address(settings: Settings) -> str:
    from assistant.app.queue import broker_address, broker_url

    return broker_address(broker_url(settings))
