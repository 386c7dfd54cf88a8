"""Keeping a case's lease and its account's lock alive while a queue worker works the case.

Both are taken for ``lease_seconds`` and expire by themselves: that is what frees a case
and an account when their worker is killed. Never renewed, that one number had two
opposite jobs: outlast the slowest case (or a second worker takes over a case still in
progress) and be short (a ``kill -9`` blocks the case and the account that long). So while
the worker is alive a heartbeat renews both every third of ``lease_seconds``, and the
setting only says how long a dead worker's case and account stay blocked.

The renewals run in a daemon thread with a journal connection of its own (a SQLite
connection must not cross threads, and the worker's own one is busy with the case),
opened at the first renewal and closed when the thread ends. A renewal that finds the
lease or the lock held by someone else logs a warning and renews no more, but leaves the
case's work alone: the attempt journal is what keeps a second worker from repeating a
portal action. A journal or Redis that does not answer is tried again at the next tick.
"""

from __future__ import annotations

import contextvars
import logging
import sqlite3
import threading
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from assistant.app.account_lock import AccountLocks
from assistant.domain.errors import JournalUnavailableError, first_line
from assistant.journal.store import Journal, is_database_url, open_journal

log = logging.getLogger(__name__)


class LeaseHeartbeat:
    """Renews the lease of ``locks.holder`` on a case and its lock on the case's account,
    in a thread, until stopped. A context manager: started on entry, stopped on exit.

    Stopping never releases either (the worker does, after the case): a heartbeat that
    stops is what a worker that died looks like to the others.
    """

    def __init__(
        self,
        journal_location: str | Path,
        locks: AccountLocks,
        case_id: int,
        account: str,
        lease_seconds: float,
    ) -> None:
        self.journal_location = journal_location
        self.locks = locks
        self.case_id = case_id
        self.account = account
        self.lease_seconds = lease_seconds
        #: Seconds between renewals: two may fail (or come late) before the lease ends.
        self.every = lease_seconds / 3
        #: Set when a renewal found the lease or the lock taken from this worker.
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection = ExitStack()
        self._journal: Journal | None = None
        self._journal_errors = journal_errors(journal_location)

    @property
    def holder(self) -> str:
        return self.locks.holder

    def start(self) -> None:
        """Renew from now on, every ``every`` seconds, in a daemon thread."""
        # The thread logs with the worker's and the case's fields (``log_context``).
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run,
            args=(self._run,),
            name=f"lease-heartbeat-{self.case_id}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """No more renewals: wakes the thread and waits for it.

        Waits out a renewal under way, so that none lands after this returns: a lease
        renewed after the worker released it would be taken again, and block the case.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> LeaseHeartbeat:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                lost = self._renew_lease() or self._renew_lock()
                if lost:
                    log.warning(
                        "lease lost on case %s (account %s): %s; no more renewals, the "
                        "work under way goes on (the attempt journal guards the portal)",
                        self.case_id,
                        self.account,
                        lost,
                    )
                    self.lost.set()
                    return
        finally:
            self._close_journal()

    def _renew_lease(self) -> str | None:
        """Renew the case's lease: who took it from this worker, or None (renewed, or the
        journal did not answer this time)."""
        try:
            journal = self._open_journal()
            now = datetime.now(UTC)  # leases are between processes: real time
            if journal.lease_case(self.case_id, self.holder, now, self.lease_seconds):
                return None
            # Not renewed is not always lost: a case closed by the work under way is never
            # leased (ours stays until the worker releases it), and on PostgreSQL another
            # worker's lease_case may have had the row locked at that moment (SKIP LOCKED).
            case = journal.case(self.case_id)
        except self._journal_errors as exc:
            log.warning(
                "renewing the lease on case %s: %s (tried again in %.1f s)",
                self.case_id,
                first_line(exc),
                self.every,
            )
            self._close_journal()  # a new connection next time
            return None
        if case is None:
            return "the case is no longer in the journal"
        if case.lease_holder == self.holder:
            return None
        return f"the case's lease is {case.lease_holder or 'nobody'}'s now"

    def _renew_lock(self) -> str | None:
        """Renew the account's lock: who took it from this worker, or None (renewed, taken
        again when nobody holds it, or Redis did not answer this time)."""
        import redis

        try:
            if self.locks.renew(self.account):
                return None
            # Gone with nobody holding it (a Redis restarted without its data, or a tick
            # later than the lock's life): the worker still works the account, so it takes
            # the lock again; only another worker's lock is a loss.
            other = self.locks.acquire(self.account)
            if other is None:
                log.warning(
                    "the lock on account %s was gone (a Redis restarted without its data?); "
                    "taken again",
                    self.account,
                )
                return None
        except redis.RedisError as exc:
            log.warning(
                "renewing the lock on account %s: %s (tried again in %.1f s)",
                self.account,
                first_line(exc),
                self.every,
            )
            return None
        return f"the account's lock is {other}'s now"

    def _open_journal(self) -> Journal:
        if self._journal is None:
            self._journal = self._connection.enter_context(open_journal(self.journal_location))
        return self._journal

    def _close_journal(self) -> None:
        connection, self._connection, self._journal = self._connection, ExitStack(), None
        try:
            connection.close()
        except self._journal_errors as exc:  # a connection that broke has nothing to close
            log.debug("closing the heartbeat's journal: %s", first_line(exc))


def journal_errors(location: str | Path) -> tuple[type[Exception], ...]:
    """What the journal at ``location`` raises when it does not answer: refusing a new
    connection, a busy SQLite file, a PostgreSQL connection that broke."""
    errors: tuple[type[Exception], ...] = (JournalUnavailableError, sqlite3.Error)
    if is_database_url(location):
        import psycopg  # an optional extra, there whenever a PostgreSQL journal is in use

        errors += (psycopg.Error,)
    return errors
