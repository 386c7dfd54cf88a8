"""Account safety: each account's pacer, and the cool-down after an anti-bot check.

A real account flagged by the marketplace is worth more than any order, so both are
decided here once, from the settings and the journal: the flows only wait for the pacer
and recognise a check; the workers ask this module whether an account may be opened.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.app.settings import Settings
from assistant.domain.errors import AntiBotError, CoolingDownError
from assistant.journal.store import Cooldown, Journal, open_journal
from flows.pacing import HOUR, Pace, Pacer, SlotStore

log = logging.getLogger(__name__)

#: The portal actions one order needs at most (list, detail, cancel, chat, message): an
#: order is started only when this many (or the whole cap, if smaller) still fit in the
#: account's hourly cap.
ACTIONS_PER_ORDER = 6


def room_for_an_order(pacer: Pacer) -> float:
    """Seconds until one more order fits in the account's hourly cap (0: it fits now)."""
    return pacer.room(min(ACTIONS_PER_ORDER, pacer.pace.per_hour or ACTIONS_PER_ORDER))


def pace_of(settings: Settings) -> Pace:
    """The ``[pacing]`` settings as the flows take them."""
    pacing = settings.pacing
    return Pace(pacing.min_seconds, pacing.jitter_seconds, pacing.per_hour)


def pacer_for(settings: Settings, account: str) -> Pacer:
    """The account's pacer, knowing the actions of the last hour from earlier runs; each
    new action is journaled at once, so a run killed half-way still counts them.

    With ``broker_url`` set, its slots are shared in Redis with the account's workers on
    other machines, and with the portal's other accounts (``portal_per_minute``).
    """
    pace = pace_of(settings)
    store = _shared_slots(settings, account)
    if pace.off and store is None:
        return Pacer(pace)
    location = settings.journal_location
    with open_journal(location) as journal:
        history = journal.paced_actions(account, since=time.time() - HOUR)

    def record(at: float) -> None:
        _record(location, account, at)

    return Pacer(pace, history=history, record=record, store=store)


def _shared_slots(settings: Settings, account: str) -> SlotStore | None:
    """The account's slots in Redis (checked to answer now), or None in one process."""
    if settings.broker_url is None:
        return None
    if settings.pacing.portal_per_minute == 0 and pace_of(settings).off:
        return None
    # Imported here: redis is the distributed mode's extra, not the embedded default's.
    from assistant.app.shared_pacing import RedisSlots

    store = RedisSlots(
        settings.broker_url.get_secret_value(),
        settings.portal_url,
        account,
        portal_per_minute=settings.pacing.portal_per_minute,
    )
    store.check()
    return store


def _record(location: str | Path, account: str, at: float) -> None:
    # A connection of its own: the pacer is shared by worker threads, a connection is not.
    with open_journal(location) as journal:
        journal.record_paced_action(account, at)


def start_cooldown(
    journal: Journal, settings: Settings, account: str, error: AntiBotError, now: datetime
) -> Cooldown:
    """Put the account in a cool-down after ``error`` (longer if it is a repeat)."""
    config = settings.cooldown
    cooldown = journal.start_cooldown(
        account,
        now,
        error.challenge,
        first=timedelta(minutes=config.first_minutes),
        longest=timedelta(hours=config.longest_hours),
        repeat_within=timedelta(hours=config.repeat_within_hours),
    )
    log.error(
        "account %s: the portal showed an anti-bot check (%s); left alone for %g min, until %s",
        account,
        error.challenge,
        cooldown.minutes,
        _shown(cooldown.until),
    )
    return cooldown


def active_cooldown(journal: Journal, account: str, now: datetime) -> Cooldown | None:
    """The account's cool-down if it is still running at ``now``."""
    cooldown = journal.cooldown(account)
    return cooldown if cooldown is not None and cooldown.active(now) else None


def cooling_down(cooldown: Cooldown, order_id: str | None = None) -> CoolingDownError:
    """Why an order of an account in a cool-down was not tried (nothing was opened)."""
    return CoolingDownError(
        f"account {cooldown.account} is cooling down after the portal's anti-bot check "
        f"({cooldown.reason}) until {_shown(cooldown.until)}: not opened, not signed in",
        challenge=cooldown.reason,
        order_id=order_id,
        fix="nothing to do: the next run after that time goes on by itself (each check "
        "that comes back doubles the wait); `order-assistant status` shows it",
    )


def _shown(moment: datetime) -> str:
    """The end of a cool-down to the minute, rounded up: a run at the time shown goes on."""
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
