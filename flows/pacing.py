"""Pacing: one account's portal actions spaced like a person's, and capped per hour.

Marketplaces answer floods with captchas, "punish" pages and locked accounts. A batch of
200 orders must therefore not go as fast as the machine allows: every page the assistant
opens and every form it submits for an account waits for that account's ``Pacer``, which
all the account's workers share. Wall-clock time, as the portal's defence counts it.

One process keeps the clock itself. Workers on many machines share it through a
``SlotStore`` (the application's Redis one, ``assistant.app.shared_pacing``): each action
reserves the account's next free slot there, atomically, and sleeps until it. If the
store cannot be reached, the pacer goes on with its own clock and says so in the log.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

HOUR = 3600.0
#: A wait longer than this is logged at INFO (the hourly cap, a busy portal), not DEBUG.
FAR_AHEAD_S = 30.0


@dataclass(frozen=True)
class Pace:
    """How fast one account may act: at least ``min_seconds`` (plus up to ``jitter_seconds``
    at random) between two actions, and at most ``per_hour`` actions in any hour (0: no
    cap). All zero: no pacing (the benchmarks, the mock portal in tests)."""

    min_seconds: float = 0.0
    jitter_seconds: float = 0.0
    per_hour: int = 0

    @property
    def off(self) -> bool:
        return not (self.min_seconds or self.jitter_seconds or self.per_hour)


class SlotStoreDown(Exception):
    """The shared slot store cannot be reached now; the message names it (no password)."""


class SlotStore(Protocol):
    """Slots shared by every worker of an account, wherever it runs (see the module doc).

    Times are relative to now (in seconds), so machines whose clocks differ a little
    still agree: the store keeps one clock for everybody.
    """

    def reserve(self, gap: float, per_hour: int, not_before: float) -> float:
        """Take the account's next free slot, at least ``gap`` after its last one,
        ``not_before`` seconds from now at the earliest, within the hourly cap and the
        store's own limits; the seconds until it. Raises ``SlotStoreDown``."""
        ...

    def room(self, per_hour: int, actions: int) -> float:
        """Seconds until ``actions`` more fit in the account's hourly cap (as ``Pacer.room``).
        Raises ``SlotStoreDown``."""
        ...


class Pacer:
    """The clock of one account's actions; thread-safe, shared by the account's workers.

    ``history``: the account's actions of the last hour from earlier runs (the journal), so
    the hourly cap holds across scheduled runs; ``record`` is told of each new one.
    ``store``: the slots shared with the account's workers in other processes, if any.
    """

    def __init__(
        self,
        pace: Pace,
        *,
        history: Iterable[float] = (),
        record: Callable[[float], None] = lambda _: None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float], float] = lambda most: random.uniform(0, most),  # noqa: S311 (timing, not secrets)
        store: SlotStore | None = None,
    ) -> None:
        self.pace = pace
        self.store = store
        self._store_down = False
        self._record = record
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._lock = threading.Lock()
        self._hour: deque[float] = deque(sorted(history))
        self._last: float | None = self._hour[-1] if self._hour else None
        self.waited = 0.0

    def wait(self, what: str) -> float:
        """Wait for the account's next slot, then take it (``what``: for the log); the
        seconds waited.

        In one process a slot is taken when it has come, under the lock, and slept for
        outside it: a worker that wakes late on a busy machine moves the next worker's slot
        with it, so no two actions are closer than ``min_seconds`` however late either is,
        and neither worker holds the other up while sleeping. Across processes the shared
        store hands out slots ahead (``_wait_shared``).
        """
        if self.pace.off and self.store is None:
            return 0.0
        if self.store is not None:
            return self._wait_shared(what)
        jitter: float | None = None  # drawn once per gap: a steady target
        slept = 0.0
        while True:
            with self._lock:
                now = self._clock()
                if jitter is None and self._last is not None:
                    jitter = self._jitter(self.pace.jitter_seconds)
                at = self._next_slot(now, jitter or 0.0)
                if at <= now:
                    self._last = now
                    self._hour.append(now)
                    self.waited += slept
                    break
            if not slept:
                self._tell(at - now, what)
            self._sleep(at - now)
            slept += at - now
        self._record(now)  # journaled as it is taken, before the action
        return slept

    def _wait_shared(self, what: str) -> float:
        with self._lock:
            now = self._clock()
            at = self._shared_slot(now)
            self._last = at
            self._hour.append(at)
            self.waited += max(at - now, 0.0)
        self._record(at)
        pause = at - self._clock()  # not from ``now``: reserving may have taken a moment
        if pause > 0:
            self._tell(pause, what)
            self._sleep(pause)
        return max(at - now, 0.0)

    @staticmethod
    def _tell(pause: float, what: str) -> None:
        # Far ahead (the hourly cap, a busy portal) is worth telling; seconds are not.
        level = logging.INFO if pause > FAR_AHEAD_S else logging.DEBUG
        log.log(level, "pacing: %.2f s before %s", pause, what)

    def room(self, actions: int) -> float:
        """Seconds until ``actions`` more actions fit in the hourly cap (0: they fit now)."""
        if not self.pace.per_hour:
            return 0.0
        with self._lock:
            local = self._local_room(self._clock(), actions)
        if self.store is None or local >= HOUR:
            return local
        try:
            shared = self.store.room(self.pace.per_hour, actions)
        except SlotStoreDown as exc:
            self._went_down(exc)
            return local
        self._came_back()
        return max(local, shared)

    def _local_room(self, now: float, actions: int) -> float:
        self._forget(now)
        over = len(self._hour) + actions - self.pace.per_hour
        if over <= 0:
            return 0.0
        if over > len(self._hour):  # more than a whole hour's worth: one hour at least
            return HOUR
        return max(self._hour[over - 1] + HOUR - now, 0.0)

    def _next_slot(self, now: float, jitter: float | None = None) -> float:
        pace = self.pace
        at = now
        if self._last is not None:
            gap = jitter if jitter is not None else self._jitter(pace.jitter_seconds)
            at = max(at, self._last + pace.min_seconds + gap)
        if pace.per_hour:
            self._forget(now)
            if len(self._hour) >= pace.per_hour:
                at = max(at, self._hour[len(self._hour) - pace.per_hour] + HOUR)
        return at

    def _shared_slot(self, now: float) -> float:
        """The slot the store gives, no earlier than this process's own clock allows (the
        journal's history of the hour may know actions the store does not)."""
        assert self.store is not None
        jitter = self._jitter(self.pace.jitter_seconds)
        local = self._next_slot(now, jitter)
        try:
            wait = self.store.reserve(
                self.pace.min_seconds + jitter, self.pace.per_hour, max(local - now, 0.0)
            )
        except SlotStoreDown as exc:
            self._went_down(exc)
            return local
        self._came_back()
        # From when the answer came: the store's clock read "now" at most this late.
        return self._clock() + wait

    def _went_down(self, exc: SlotStoreDown) -> None:
        if not self._store_down:
            self._store_down = True
            log.warning(
                "pacing: %s; this process paces the account on its own until it is back", exc
            )

    def _came_back(self) -> None:
        if self._store_down:
            self._store_down = False
            log.warning("pacing: the shared slot store is back; the account's slots are shared")

    def _forget(self, now: float) -> None:
        while self._hour and self._hour[0] <= now - HOUR:
            self._hour.popleft()
