"""A lock so that overlapping scheduled runs never work on the same journal at once.

cron does not know whether the previous run finished; the second one must leave at once
with a clear message instead of racing the first on the same orders. ``flock`` is
released by the kernel when the process dies, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.domain.errors import AssistantError


class RunLockedError(AssistantError):
    """Another run holds the lock; this one must not touch anything."""

    exit_code = 0  # the other run is doing the work: nothing failed


def _acquire(fd: int, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)  # allowed: polling a file lock (flock has no timeout), not a page


@contextmanager
def run_lock(path: Path, *, wait_seconds: float = 0) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block; wait up to ``wait_seconds`` for it.

    ``run`` does not wait (the other run does the work); a one-off ``cancel`` waits a
    little for a scheduled run to finish, so the two never work the same case at once.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if not _acquire(fd, wait_seconds):
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise RunLockedError(
                f"another order-assistant run (pid {holder}) is already working on this journal;"
                " this run exits without doing anything",
                fix="nothing to do: the next scheduled run will pick up where that one ends",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
