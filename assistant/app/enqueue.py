"""Putting due cases on the queue: ``order-assistant enqueue``, ``run --queue`` and the beat.

Each due case goes on the queue once while it waits there: a mark in Redis, set when it
is sent and cleared when a worker has finished with it, keeps a beat every minute from
piling up copies of a backlog that takes longer than a minute to work off. A mark lasts
an hour (or a lease, if longer), not a lease: with the lease heartbeat a lease may be
short, and a backlog waits longer than that. A case whose worker was killed is sent again
by the next beat despite its mark, once its lease has expired (the lease names a holder
that no longer renews it), and the next worker settles what the killed one left
unconfirmed; Celery also gives back a task whose worker died before it leased the case.
The accounts take turns in what is sent, so the workers rarely meet an account another of
them holds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import chain, zip_longest
from typing import TYPE_CHECKING

from assistant.app.queue import BrokerUnavailableError, broker_address, broker_url, send_case
from assistant.app.safety import active_cooldown
from assistant.app.schedule import make_clock
from assistant.app.settings import Settings
from assistant.domain.errors import first_line
from assistant.domain.models import Intent
from assistant.journal.store import Case, open_journal

if TYPE_CHECKING:
    import redis
    from celery import Celery

log = logging.getLogger(__name__)

MARK_PREFIX = "order-assistant:queued:"
#: How long a queued mark lasts at least: a task lost in a way nothing else catches is
#: sent again after this long.
MARK_SECONDS = 3600.0


class QueuedMarks:
    """Which cases wait on the queue now (a Redis key each, expiring by itself after an
    hour, or a lease if longer)."""

    def __init__(self, client: redis.Redis, lease_seconds: float) -> None:
        self.client = client
        self.ttl_ms = max(1, int(max(MARK_SECONDS, lease_seconds) * 1000))

    def claim(self, case_id: int) -> bool:
        """Mark the case as queued; False if it is already."""
        return bool(self.client.set(f"{MARK_PREFIX}{case_id}", "1", nx=True, px=self.ttl_ms))

    def keep(self, case_id: int) -> None:
        """The case is queued again (a retry, a resend): its mark lasts its time again."""
        self.client.set(f"{MARK_PREFIX}{case_id}", "1", px=self.ttl_ms)

    def clear(self, case_id: int) -> None:
        """A worker is done with the case: the next due time may queue it again."""
        self.client.delete(f"{MARK_PREFIX}{case_id}")


def open_cases(settings: Settings, order_ids: Sequence[str], intent: Intent, account: str) -> None:
    """Journal the orders as new cases (due at once), as ``cancel`` does before it acts."""
    with open_journal(settings.journal_location) as journal:
        now = make_clock(settings)()
        for order_id in order_ids:
            journal.open_case(account, order_id, intent.model_dump(mode="json"), now)


def due_for_queue(settings: Settings) -> list[Case]:
    """The due cases no worker holds, of configured accounts not cooling down, the
    accounts taking turns.

    Leases are compared with the wall clock, due times with the settings' clock (which a
    demo or a test may fix): a lease is between processes, a due time is the case's.
    """
    accounts = {a.username for a in settings.all_accounts()}
    wall = datetime.now(UTC)
    with open_journal(settings.journal_location) as journal:
        now = make_clock(settings)()
        due = [c for c in journal.due_cases(now) if not c.leased_to_another(None, wall)]
        cooling = {c.account for c in due if active_cooldown(journal, c.account, now)}
    for unknown in sorted({c.account for c in due} - accounts):
        log.warning("due cases of account %s not queued: it is not configured", unknown)
    for account in sorted(cooling):
        log.info("due cases of account %s not queued: it is cooling down", account)
    by_account: dict[str, list[Case]] = {}
    for case in due:
        if case.account in accounts and case.account not in cooling:
            by_account.setdefault(case.account, []).append(case)
    turns = zip_longest(*by_account.values())
    return [case for case in chain.from_iterable(turns) if case is not None]


def enqueue_due_cases(settings: Settings, app: Celery | None = None) -> int:
    """Put every due case that is not queued yet on the queue; how many were sent."""
    import redis
    from kombu.exceptions import OperationalError

    from assistant.app.queue import make_celery, redis_client

    cases = due_for_queue(settings)
    if not cases:
        return 0
    client = redis_client(settings)
    app = app or make_celery(settings)
    marks = QueuedMarks(client, settings.lease_seconds)
    sent = 0
    try:
        for case in cases:
            if not marks.claim(case.id):
                if case.lease_holder is None:
                    continue  # still waiting on the queue
                # Leased by a worker that stopped renewing (due_for_queue leaves out live
                # leases): killed mid-case, its task is gone. Sent again.
                marks.keep(case.id)
            try:
                send_case(app, case.id, case.account)
            except OperationalError:
                marks.clear(case.id)
                raise
            sent += 1
    except (OperationalError, redis.RedisError) as exc:
        raise BrokerUnavailableError(
            f"the queue's broker at {broker_address(broker_url(settings))} went away "
            f"({first_line(exc)}) after {sent} of {len(cases)} due case(s) were queued",
            fix="start Redis again; the next enqueue queues the rest",
        ) from None
    finally:
        client.close()
    log.info("%d due case(s) queued (%d already waiting)", sent, len(cases) - sent)
    return sent
