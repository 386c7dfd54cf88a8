"""The queue's parts without a browser: the account lock, enqueue's marks, the errors of a
missing or unreachable broker, and the embedded CLI that never imports Celery."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import redis as redis_client

from assistant.app.account_lock import AccountLocks
from assistant.app.queue import CASES_QUEUE
from assistant.journal.store import open_journal
from tests.support.cli import Assistant
from tests.support.orders import SCENARIO_ORDER, SECOND_ORDER
from tests.support.portal import wait_until
from tests.support.servers import RedisServer, free_port


def test_the_account_lock_is_one_holders_and_expires(redis: RedisServer) -> None:
    client = redis_client.Redis.from_url(redis.url)
    mine = AccountLocks(client, "w1@host#1", ttl_seconds=0.5)
    theirs = AccountLocks(client, "w2@host#2", ttl_seconds=0.5)

    assert mine.acquire("buyer@example.com") is None
    assert mine.acquire("buyer@example.com") is None  # its own again: renewed
    assert theirs.acquire("buyer@example.com") == "w1@host#1"
    assert theirs.acquire("other@example.com") is None  # another account is free
    theirs.release("buyer@example.com")  # not theirs: nothing freed
    assert mine.holder_of("buyer@example.com") == "w1@host#1"

    wait_until(  # a killed holder's lock expires
        lambda: mine.holder_of("buyer@example.com") is None, timeout=10, what="the lock's TTL"
    )
    assert theirs.acquire("buyer@example.com") is None
    client.close()


def queue_length(redis: RedisServer) -> int:
    client = redis_client.Redis.from_url(redis.url)
    try:
        return int(client.llen(CASES_QUEUE))
    finally:
        client.close()


def test_a_case_waiting_on_the_queue_is_not_queued_again(
    redis: RedisServer, tmp_path: Path
) -> None:
    assistant = Assistant(None, tmp_path / "data")
    assistant.env.update(
        {
            "ORDER_ASSISTANT_BROKER_URL": redis.url,
            "ORDER_ASSISTANT_USERNAME": "buyer@example.com",
            "ORDER_ASSISTANT_NOW": "2026-06-20T12:00:00Z",
        }
    )

    assistant.env["ORDER_ASSISTANT_LEASE_SECONDS"] = "0.5"  # the heartbeat allows short ones
    client = redis_client.Redis.from_url(redis.url)

    first = assistant.invoke("enqueue", SCENARIO_ORDER, "--json")
    lease_passes(client)  # a backlog waits longer than a lease: its mark lasts
    again = assistant.invoke("run", "--queue", "--json")
    more = assistant.invoke("enqueue", SECOND_ORDER, "--json")

    assert first.returncode == 0 and first.json() == {"queued": 1}, first
    assert again.returncode == 0 and again.json() == {"queued": 0}, again
    assert more.returncode == 0 and more.json() == {"queued": 1}, more
    assert queue_length(redis) == 2

    # A worker took the first case and was killed: once its lease has run out, the next
    # beat sends the case again, its mark notwithstanding.
    with open_journal(assistant.data_dir / "journal.sqlite3") as journal:
        case = journal.find_case("buyer@example.com", SCENARIO_ORDER)
        assert case is not None
        assert journal.lease_case(case.id, "killed@host#1", datetime.now(UTC), 0.5)
    lease_passes(client)
    resent = assistant.invoke("run", "--queue", "--json")
    assert resent.returncode == 0 and resent.json() == {"queued": 1}, resent
    assert queue_length(redis) == 3
    client.close()


def lease_passes(client: redis_client.Redis) -> None:
    """Wait out a lease of 0.5 s, as a key of that life in Redis sees it."""
    client.set("order-assistant-test:a-lease", "1", px=600)
    wait_until(
        lambda: not client.exists("order-assistant-test:a-lease"), timeout=10, what="a lease"
    )


def test_no_broker_is_a_configuration_error_naming_the_setting(tmp_path: Path) -> None:
    assistant = Assistant(None, tmp_path / "data")
    for command in ("enqueue", "worker", "beat"):
        result = assistant.invoke(command)
        assert result.returncode == 2, result
        assert "broker_url" in result.stderr and "ORDER_ASSISTANT_BROKER_URL" in result.stderr


def test_an_unreachable_broker_is_named_without_its_password(tmp_path: Path) -> None:
    assistant = Assistant(None, tmp_path / "data")
    port = free_port()
    broker = f"redis://:broker-secret-2026@127.0.0.1:{port}/0"
    assistant.env["ORDER_ASSISTANT_USERNAME"] = "buyer@example.com"

    result = assistant.invoke("enqueue", SCENARIO_ORDER, ORDER_ASSISTANT_BROKER_URL=broker)

    assert result.returncode == 3, result
    assert f"127.0.0.1:{port}/0 cannot be reached" in result.stderr, result
    assert "broker-secret-2026" not in result.output
    assert not (tmp_path / "data" / "journal.sqlite3").exists()  # nothing opened


def test_the_embedded_commands_never_import_celery() -> None:
    code = "import sys, assistant.cli.main; print(sorted({'celery', 'kombu'} & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
