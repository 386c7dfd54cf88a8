"""The one retry policy of the flows: bounded, logged, and only for steps safe to repeat.

Navigation and reads may be repeated; a submit never goes through here (the runner
re-observes the order and decides again instead).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from playwright.sync_api import Error as PlaywrightError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from assistant.domain.errors import first_line

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Transient trouble: timeouts, dropped connections, 5xx pages surfaced as our errors.
TRANSIENT = (PlaywrightError,)


def _log_retry(what: str) -> Callable[[RetryCallState], None]:
    """A ``before_sleep`` hook that names the step (iterating ``Retrying`` has no ``fn``)."""

    def log_it(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        first = first_line(error) if error else "?"
        log.warning("retrying %s (attempt %d failed: %s)", what, state.attempt_number, first)

    return log_it


def retry_safe(step: Callable[[], T], *, what: str, attempts: int = 3) -> T:
    """Run a repeatable step, retrying transient failures a bounded number of times."""
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.2, max=2),
        retry=retry_if_exception_type(TRANSIENT),
        before_sleep=_log_retry(what),
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            log.debug("%s (attempt %d)", what, attempt.retry_state.attempt_number)
            return step()
    raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover
