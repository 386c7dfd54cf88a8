"""The queue of the distributed mode: a Celery app on the Redis broker, and its two tasks.

``process_case`` carries a case id and its account, never a decision: the worker that
runs it leases the case, reads the journal and the portal again as ``run`` does, and
decides then (``assistant.app.queue_worker``), so a task delivered twice, late, or after
its case closed does nothing wrong. ``enqueue_due`` is what the beat schedule runs: it
puts the due cases on the queue (``assistant.app.enqueue``).

Delivery is at least once: a task is acknowledged after it ran (``acks_late``), so one
whose worker was killed is not lost, and the workers take one task at a time (solo pool:
Playwright's sync API belongs to one thread; more work means more worker processes).
Celery is imported here only, and this module only by the queue's commands, so the
embedded ``run`` never pays for it.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from assistant.app.settings import Settings
from assistant.domain.errors import AssistantError, ConfigError, first_line

if TYPE_CHECKING:
    import redis
    from celery import Celery

log = logging.getLogger(__name__)

#: The cases' queue, and the schedule's own (so the beat's enqueue never waits behind
#: a thousand cases: Redis is asked for both in turn).
CASES_QUEUE = "order-assistant.cases"
SCHEDULE_QUEUE = "order-assistant.schedule"
PROCESS_CASE = "order_assistant.process_case"
ENQUEUE_DUE = "order_assistant.enqueue_due"
#: A case whose account another worker holds is tried again after this long, twice as
#: long at each further try up to ``BUSY_RETRY_MAX_SECONDS`` (or half a lease, if less),
#: plus up to as much again at random so the waiting tasks do not all come back together.
#: Usually the other worker is one case away from done; a dead one's lock lasts a lease.
BUSY_RETRY_SECONDS = 2.0
BUSY_RETRY_MAX_SECONDS = 30.0
#: The beat's default period.
BEAT_EVERY_SECONDS = 60.0
#: How long a first connection to Redis may take before the broker counts as unreachable.
CONNECT_TIMEOUT_S = 5.0


class BrokerUnavailableError(AssistantError):
    """Redis (``broker_url``) cannot be reached: nothing was queued (exit code 3)."""

    exit_code = 3


def broker_url(settings: Settings) -> str:
    """The Redis URL the queue needs, or a ConfigError that says how to give it."""
    if settings.broker_url is None:
        raise ConfigError(
            "the queue needs a Redis broker and none is set",
            key="broker_url",
            fix="set ORDER_ASSISTANT_BROKER_URL=redis://host:6379/0 (or broker_url in the "
            "config file); without one, `order-assistant run` works the cases in this process",
        )
    return settings.broker_url.get_secret_value()


def broker_address(url: str) -> str:
    """The broker as host:port/db for messages: never its password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or '/0'}"


def queue_secrets(settings: Settings) -> list[str]:
    """The broker's and the journal's URLs and their passwords, for the log's redaction."""
    secrets = []
    for url in (settings.broker_url, settings.journal_url):
        if url is not None:
            text = url.get_secret_value()
            password = urlsplit(text).password
            secrets += [text, *([password] if password else [])]
    return secrets


def redis_client(settings: Settings) -> redis.Redis:
    """A client of the broker's Redis, checked to answer (else ``BrokerUnavailableError``)."""
    import redis

    url = broker_url(settings)
    client = redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=30, health_check_interval=30
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        raise BrokerUnavailableError(
            f"the queue's broker at {broker_address(url)} cannot be reached "
            f"({first_line(exc)}): nothing was queued",
            fix="start Redis there, or correct broker_url (ORDER_ASSISTANT_BROKER_URL)",
        ) from None
    return client


def make_celery(settings: Settings, *, beat_every: float | None = None) -> Celery:
    """The Celery app on the settings' broker, with both tasks registered.

    ``beat_every``: the beat schedule's period in seconds (an embedded or a separate beat
    then enqueues the due cases that often).
    """
    from celery import Celery

    url = broker_url(settings)
    app = Celery("order_assistant", broker=url, set_as_current=False)
    app.conf.update(
        task_default_queue=CASES_QUEUE,
        task_routes={ENQUEUE_DUE: {"queue": SCHEDULE_QUEUE}},
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        # At least once: acknowledged after the task ran, given back if its worker dies.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a restarted Redis is waited for, not given up
        broker_transport_options={
            # A task taken and never acknowledged (its worker died) is delivered again
            # after this long; the case's lease decides who may act, so early is harmless.
            "visibility_timeout": max(2 * settings.lease_seconds, 60.0),
        },
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    if beat_every is not None:
        app.conf.beat_schedule = {
            "enqueue-due-cases": {
                "task": ENQUEUE_DUE,
                "schedule": timedelta(seconds=beat_every),
                "options": {"queue": SCHEDULE_QUEUE, "expires": beat_every},
            }
        }
    _register_tasks(app, settings)
    return app


def _register_tasks(app: Celery, settings: Settings) -> None:
    @app.task(name=PROCESS_CASE, bind=True, max_retries=None, acks_late=True)  # type: ignore[untyped-decorator]
    def process_case(task: Any, case_id: int, account: str) -> str:
        from assistant.app.queue_worker import Busy, case_worker

        try:
            return case_worker(settings).handle(case_id, account)
        except Busy as busy:
            countdown = busy_countdown(settings, task.request.retries)
            log.info("case %s: %s; again in %.1f s", case_id, busy, countdown)
            raise task.retry(countdown=countdown) from None

    @app.task(name=ENQUEUE_DUE, ignore_result=True)  # type: ignore[untyped-decorator]
    def enqueue_due() -> int:
        from assistant.app.enqueue import enqueue_due_cases

        return enqueue_due_cases(settings, app)


def run_beat(settings: Settings, *, every: float, loglevel: str = "WARNING") -> int:
    """Run the beat alone (``order-assistant beat``): every ``every`` seconds a worker is
    asked to enqueue the due cases. One per deployment; it needs no browser."""
    redis_client(settings).close()  # unreachable: one clear error now
    app = make_celery(settings, beat_every=every)
    keep_our_logging()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    beat = app.Beat(
        schedule=str(settings.data_dir / "beat-schedule"),
        loglevel=loglevel,
        quiet=True,
        max_interval=every,
    )
    log.info("beat every %g s on the queue at %s", every, broker_address(broker_url(settings)))
    beat.run()
    return 0


def keep_our_logging() -> None:
    """Celery sets up logging only when nobody answers its ``setup_logging`` signal; ours
    (``assistant.app.logs``) redacts secrets, so it stays."""
    from celery import signals

    signals.setup_logging.connect(_leave_logging_alone, weak=False)


def _leave_logging_alone(**_: object) -> None:
    """Handling the signal is all it takes."""


def busy_countdown(settings: Settings, retries: int) -> float:
    """Seconds until a task that met a busy account (or journal) is tried again."""
    longest = min(BUSY_RETRY_MAX_SECONDS, max(BUSY_RETRY_SECONDS, settings.lease_seconds / 2))
    base = min(BUSY_RETRY_SECONDS * 2.0 ** min(retries, 10), longest)
    return base * (1 + random.random())  # noqa: S311 (spreading retries, not a secret)


def send_case(app: Celery, case_id: int, account: str) -> None:
    """Put one case on the queue (its id and account: the worker decides the rest)."""
    app.send_task(PROCESS_CASE, args=[case_id, account], queue=CASES_QUEUE)
