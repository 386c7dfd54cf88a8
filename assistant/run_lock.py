"""A lock so that overlapping scheduled runs never work on the same journal at once.

cron does not know whether the previous run finished; the second one must leave at once
with a clear message instead of racing the first on the same orders. ``flock`` is
released by the kernel when the process dies, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import AssistantError


class RunLockedError(AssistantError):
    """Another run holds the lock; this one must not touch anything."""

    exit_code = 0  # the other run is doing the work: nothing failed


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on ``path`` for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
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
