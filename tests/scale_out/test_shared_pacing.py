"""Pacing shared through Redis: the account's spacing, its hourly cap and the portal's
limit hold whoever acts, from threads or processes, and an outage is a log line.

What is guaranteed, and checked: the slots Redis hands out are spaced as the settings say
(on its one clock), and no action starts before its slot. A worker that wakes late on a
busy machine acts late, which may bring it nearer the next slot's action: that is no
faster than the settings allow on average, and the jitter is far larger.
"""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis as redis_client

from assistant.app.safety import pacer_for
from assistant.app.settings import Pacing, Settings
from assistant.app.shared_pacing import BrokerUnreachable, RedisSlots, shown_url
from flows.pacing import HOUR, Pace, Pacer
from tests.support.servers import RedisServer, free_port

PORTAL = "http://portal.test"
GAP = 0.2
#: Slots are kept to the microsecond in Redis: a hair of rounding.
EPSILON = 0.000_01


def shared(
    redis: RedisServer, account: str, pace: Pace, *, portal_per_minute: int = 0
) -> tuple[Pacer, list[float]]:
    """A pacer of ``account`` sharing its slots in ``redis``, and the slots it records."""
    slots: list[float] = []
    store = RedisSlots(redis.url, PORTAL, account, portal_per_minute=portal_per_minute)
    return Pacer(pace, record=slots.append, store=store, jitter=lambda most: most), slots


def in_threads(*jobs: tuple[Pacer, int]) -> list[list[float]]:
    """Each pacer's actions in a thread of its own; when each of its actions happened."""
    acted: list[list[float]] = [[] for _ in jobs]

    def act(pacer: Pacer, times: int, when: list[float]) -> None:
        for n in range(times):
            pacer.wait(f"action {n}")
            when.append(time.time())

    threads = [
        threading.Thread(target=act, args=(pacer, times, when))
        for (pacer, times), when in zip(jobs, acted, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return acted


def taken(redis: RedisServer, *accounts: str, portal: str = PORTAL) -> list[float]:
    """The slots Redis holds for the accounts: when each action was allowed, on its clock."""
    client = redis_client.Redis.from_url(redis.url)
    keys = [RedisSlots(redis.url, portal, a, portal_per_minute=0).account_key for a in accounts]
    slots = [score for key in keys for _, score in client.zrange(key, 0, -1, withscores=True)]
    client.close()
    return sorted(slots)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(sorted(times))]


def never_early(slots: list[float], acted: list[float]) -> bool:
    """Each action of one pacer came at its slot or after it."""
    return len(slots) == len(acted) and all(a >= s for s, a in zip(slots, acted, strict=True))


def test_two_pacers_of_one_account_in_two_threads_keep_the_spacing(redis: RedisServer) -> None:
    pace = Pace(min_seconds=GAP - 0.05, jitter_seconds=0.05)  # the jitter is drawn whole
    first, first_slots = shared(redis, "alex", pace)
    second, second_slots = shared(redis, "alex", pace)
    first_acted, second_acted = in_threads((first, 5), (second, 5))
    slots = taken(redis, "alex")
    assert len(slots) == 10
    assert min(gaps(slots)) >= GAP - EPSILON
    assert never_early(first_slots, first_acted) and never_early(second_slots, second_acted)
    # They really raced: each pacer's actions came between the other's.
    assert any(first_acted[0] < when < first_acted[-1] for when in second_acted)


def test_two_processes_of_one_account_keep_the_spacing(redis: RedisServer) -> None:
    command = [sys.executable, "-m", "tests.scale_out.pacing_child", redis.url, PORTAL]
    children = [
        subprocess.Popen([*command, "alex", "6", str(GAP)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    client = redis_client.Redis.from_url(redis.url)
    for _ in children:  # both ready (imports done) before either starts
        assert client.blpop(["ready"], timeout=60) is not None
    client.rpush("go", "1", "1")
    outputs = [json.loads(child.communicate(timeout=60)[0]) for child in children]
    client.close()
    assert [child.returncode for child in children] == [0, 0]
    slots = taken(redis, "alex")
    assert len(slots) == 12
    assert min(gaps(slots)) >= GAP - EPSILON
    assert all(never_early(output["slots"], output["acted"]) for output in outputs)
    first, second = (output["acted"] for output in outputs)
    assert any(first[0] < when < first[-1] for when in second)


def test_the_portal_limit_holds_over_two_accounts(redis: RedisServer) -> None:
    per_minute = round(60 / GAP)  # one action every GAP seconds on the portal
    alex, alex_slots = shared(redis, "alex", Pace(), portal_per_minute=per_minute)
    sam, sam_slots = shared(redis, "sam", Pace(), portal_per_minute=per_minute)
    alex_acted, sam_acted = in_threads((alex, 5), (sam, 5))
    slots = taken(redis, "alex", "sam")
    assert len(slots) == 10
    assert min(gaps(slots)) >= GAP - EPSILON
    assert never_early(alex_slots, alex_acted) and never_early(sam_slots, sam_acted)
    # Each account alone would have acted at once: the spacing is the portal's.
    assert max(gaps(slots)) < 2 * GAP


def test_the_hourly_cap_holds_across_pacers_and_the_wait_is_told(
    redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisSlots(redis.url, PORTAL, "alex", portal_per_minute=6000)
    slept: list[float] = []
    pace = Pace(per_hour=3)
    first = Pacer(pace, store=store, sleep=slept.append)
    second = Pacer(pace, store=store, sleep=slept.append)
    first.wait("list")
    second.wait("detail")
    first.wait("cancel")
    assert first.room(1) == pytest.approx(HOUR, abs=5)  # the hour is full, for both
    assert second.room(1) == pytest.approx(HOUR, abs=5)
    with caplog.at_level(logging.INFO, logger="flows.pacing"):
        waited = second.wait("message")  # the fourth: an hour ahead, and said so
    assert waited == pytest.approx(HOUR, abs=5)
    assert slept[-1] == pytest.approx(HOUR, abs=5)
    assert any("before message" in record.getMessage() for record in caplog.records)
    # Its slot an hour ahead holds up no other account of the portal.
    sam = Pacer(
        Pace(per_hour=3), store=RedisSlots(redis.url, PORTAL, "sam", portal_per_minute=6000)
    )
    assert sam.wait("list") < 1.0


def test_a_redis_restart_is_a_log_line_not_a_crash(
    redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    pacer, slots = shared(redis, "alex", Pace(min_seconds=0.05))
    pacer.wait("list")
    with caplog.at_level(logging.WARNING, logger="flows.pacing"):
        redis.stop()
        pacer.wait("detail")  # paced by this process alone
        pacer.wait("cancel")
        redis.start()
        pacer.wait("message")  # shared again
    messages = [record.getMessage() for record in caplog.records]
    down = [m for m in messages if "unreachable" in m]
    assert len(down) == 1, messages  # once per outage, not once per action
    assert f"127.0.0.1:{redis.port}" in down[0]
    assert any("is back" in m for m in messages)
    assert len(slots) == 4


# -- from the settings ----------------------------------------------------------------------


def settings_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broker_url: str, pacing: Pacing
) -> Settings:
    monkeypatch.setenv("ORDER_ASSISTANT_CONFIG", str(tmp_path / "no-config.toml"))
    return Settings(data_dir=tmp_path, pacing=pacing, broker_url=broker_url)  # type: ignore[arg-type]


def test_pacer_for_shares_the_slots_when_a_broker_is_set(
    redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pacing = Pacing(min_seconds=GAP, jitter_seconds=0, per_hour=100, portal_per_minute=0)
    settings = settings_with(tmp_path, monkeypatch, redis.url, pacing)
    first = pacer_for(settings, "alex@example.com")
    second = pacer_for(settings, "alex@example.com")
    assert first.store is not None
    first.wait("list")
    assert second.wait("detail") >= GAP - 0.05  # it knew of the first one's action
    slots = taken(redis, "alex@example.com", portal=settings.portal_url)
    assert len(slots) == 2 and min(gaps(slots)) >= GAP - EPSILON


def test_an_unreachable_broker_is_a_clear_error_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    url = f"redis://:s3cret-pw@127.0.0.1:{port}/0"
    settings = settings_with(tmp_path, monkeypatch, url, Pacing())
    with pytest.raises(BrokerUnreachable) as raised:
        pacer_for(settings, "alex@example.com")
    assert f"the broker redis://:***@127.0.0.1:{port}/0 is unreachable" in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)
    assert raised.value.exit_code == 3


def test_shown_url_hides_only_the_password() -> None:
    assert shown_url("redis://worker:pw@redis.lan:6380/2") == "redis://worker:***@redis.lan:6380/2"
    assert shown_url("rediss://redis.lan/0") == "rediss://redis.lan/0"
