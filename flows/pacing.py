"""Pacing: one account's portal actions spaced like a person's, and capped per hour.

Marketplaces answer floods with captchas, "punish" pages and locked accounts. A batch of
200 orders must therefore not go as fast as the machine allows: every page the assistant
opens and every form it submits for an account waits for that account's ``Pacer``, which
all the account's workers share. Wall-clock time, as the portal's defence counts it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)

HOUR = 3600.0


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


class Pacer:
    """The clock of one account's actions; thread-safe, shared by the account's workers.

    ``history``: the account's actions of the last hour from earlier runs (the journal), so
    the hourly cap holds across scheduled runs; ``record`` is told of each new one.
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
    ) -> None:
        self.pace = pace
        self._record = record
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._lock = threading.Lock()
        self._hour: deque[float] = deque(sorted(history))
        self._last: float | None = self._hour[-1] if self._hour else None
        self.waited = 0.0

    def wait(self, what: str) -> None:
        """Wait for the account's next slot, then take it (``what``: for the debug log).

        The slot is reserved under the lock and slept for outside it: two workers of one
        account get slots one interval apart, neither holds the other up while sleeping.
        """
        if self.pace.off:
            return
        with self._lock:
            now = self._clock()
            at = self._next_slot(now)
            self._last = at
            self._hour.append(at)
            self.waited += max(at - now, 0.0)
        self._record(at)
        if at > now:
            log.debug("pacing: %.2f s before %s", at - now, what)
            self._sleep(at - now)

    def room(self, actions: int) -> float:
        """Seconds until ``actions`` more actions fit in the hourly cap (0: they fit now)."""
        if not self.pace.per_hour:
            return 0.0
        with self._lock:
            now = self._clock()
            self._forget(now)
            over = len(self._hour) + actions - self.pace.per_hour
            if over <= 0:
                return 0.0
            if over > len(self._hour):  # more than a whole hour's worth: one hour at least
                return HOUR
            return max(self._hour[over - 1] + HOUR - now, 0.0)

    def _next_slot(self, now: float) -> float:
        pace = self.pace
        at = now
        if self._last is not None:
            at = max(at, self._last + pace.min_seconds + self._jitter(pace.jitter_seconds))
        if pace.per_hour:
            self._forget(now)
            if len(self._hour) >= pace.per_hour:
                at = max(at, self._hour[len(self._hour) - pace.per_hour] + HOUR)
        return at

    def _forget(self, now: float) -> None:
        while self._hour and self._hour[0] <= now - HOUR:
            self._hour.popleft()
