"""The cheap question a scheduled run asks first: is anything due?

Kept free of Playwright, the policy and the models, so ``order-assistant run`` from cron
with nothing to do answers in a fraction of a second without starting a browser.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from assistant.app.settings import Settings
from assistant.journal.store import journal_exists, open_journal


def make_clock(settings: Settings) -> Callable[[], datetime]:
    """The real time, or the fixed ``now`` of the settings (mock portal demos, tests)."""
    if settings.now is not None:
        fixed = settings.now
        return lambda: fixed
    return lambda: datetime.now(UTC)


def nothing_due(settings: Settings) -> tuple[bool, datetime | None]:
    """(True, next due time) when no open case wants attention now."""
    if not journal_exists(settings.journal_location):
        return True, None
    now = make_clock(settings)()
    with open_journal(settings.journal_location) as journal:
        return not journal.due_cases(now), journal.next_due()
