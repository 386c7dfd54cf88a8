"""Pacing shared by every worker on every machine: the account's and the portal's slots in
Redis (the distributed mode, ``broker_url``).

In one process a ``Pacer`` keeps the account's clock under a lock. N worker processes
would each keep their own and together act N times as fast, which is what gets a real
account locked. Here each action reserves its slot in Redis with one Lua script, so the
reservation is atomic whoever asks: the account's next slot after its last one
(``min_seconds`` plus the jitter the caller drew), within its hourly cap, and at least
``60 / portal_per_minute`` seconds from every other slot on the same portal, whichever
account took it. The caller is told how long to wait and sleeps once; nobody polls.
Redis's clock is the one clock, so machines whose clocks drift still space their actions.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from assistant.domain.errors import AssistantError, first_line
from flows.pacing import HOUR, SlotStoreDown

PREFIX = "order-assistant:pace"
#: What an outage looks like (refused, reset, timed out, still loading after a restart);
#: anything else is a bug or a misconfigured Redis, and is raised as it is.
DOWN = (redis.ConnectionError, redis.TimeoutError)

# KEYS[1]: the account's slots of the last hour, KEYS[2]: the portal's (sorted sets, the
# score a slot's time on Redis's clock). ARGV: the gap after the account's last slot, the
# hourly cap (0: none), the portal's gap (0: none), the earliest slot in seconds from now,
# and a member name unique to this reservation.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local gap, per_hour = tonumber(ARGV[1]), tonumber(ARGV[2])
local portal_gap, not_before = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.6f', now - 3600))
local at = now + not_before
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then at = math.max(at, tonumber(last[2]) + gap) end
if per_hour > 0 then
  local n = redis.call('ZCARD', KEYS[1])
  if n >= per_hour then
    local oldest = redis.call('ZRANGE', KEYS[1], n - per_hour, n - per_hour, 'WITHSCORES')
    at = math.max(at, tonumber(oldest[2]) + 3600)
  end
end
if portal_gap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('(%.6f', now - portal_gap))
  -- The earliest time from `at` that is portal_gap away from every slot taken, also
  -- between two slots far apart: an account held back by its hourly cap an hour ahead
  -- must not hold up the other accounts of the portal until then.
  local taken = redis.call('ZRANGEBYSCORE', KEYS[2], string.format('(%.6f', at - portal_gap),
                           '+inf', 'WITHSCORES')
  for i = 2, #taken, 2 do
    local slot = tonumber(taken[i])
    if slot - at >= portal_gap then break end
    at = math.max(at, slot + portal_gap)
  end
  redis.call('ZADD', KEYS[2], string.format('%.6f', at), ARGV[5])
  redis.call('EXPIRE', KEYS[2], math.ceil(at - now + portal_gap) + 1)
end
redis.call('ZADD', KEYS[1], string.format('%.6f', at), ARGV[5])
redis.call('EXPIRE', KEYS[1], math.ceil(at - now) + 3601)
return string.format('%.6f', at - now)
"""


def shown_url(url: str) -> str:
    """A Redis (or any) URL fit for a log or an error: the password replaced by stars."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


class BrokerUnreachable(AssistantError):
    """Redis, the broker the workers share their pacing through, cannot be reached."""


@functools.cache
def _client(url: str) -> redis.Redis:
    """One client (a thread-safe connection pool) per broker and process.

    Short time-outs and two quick retries: a Redis restart costs a worker a second, an
    outage a log line (``SlotStoreDown``), never a hang.
    """
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=2,
        socket_timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
    )


class RedisSlots:
    """One account's slots in Redis (a ``flows.pacing.SlotStore``), with its portal's."""

    def __init__(self, url: str, portal_url: str, account: str, *, portal_per_minute: int) -> None:
        self.broker = shown_url(url)
        self.client = _client(url)
        self.account_key = f"{PREFIX}:{{{portal_url}}}:account:{account}"
        # One hash tag for both keys: a Redis Cluster keeps them in one slot, as a script
        # touching both needs.
        self.portal_key = f"{PREFIX}:{{{portal_url}}}:portal"
        self.portal_gap = 60.0 / portal_per_minute if portal_per_minute else 0.0
        self._reserve = self.client.register_script(RESERVE)

    def check(self) -> None:
        """Raise ``BrokerUnreachable`` (naming the broker, never its password) unless Redis
        answers: a worker that cannot share its pacing must not start acting alone."""
        try:
            self.client.ping()
        except DOWN as exc:
            raise BrokerUnreachable(
                str(self._down(exc)),
                fix="start Redis or correct broker_url (ORDER_ASSISTANT_BROKER_URL); the "
                "workers share their accounts' pacing through it",
            ) from None

    def reserve(self, gap: float, per_hour: int, not_before: float) -> float:
        """See ``flows.pacing.SlotStore.reserve``."""
        keys = [self.account_key, self.portal_key]
        args = [gap, per_hour, self.portal_gap, not_before, uuid.uuid4().hex]
        try:
            answer = self._reserve(keys=keys, args=cast("list[Any]", args))
        except DOWN as exc:
            raise self._down(exc) from None
        return max(float(answer), 0.0)

    def room(self, per_hour: int, actions: int) -> float:
        """See ``flows.pacing.SlotStore.room``: read from the account's slots in Redis."""
        try:
            seconds, micro = self.client.time()
            now = seconds + micro / 1_000_000
            taken = self.client.zrangebyscore(
                self.account_key, f"({now - HOUR}", "+inf", withscores=True
            )
        except DOWN as exc:
            raise self._down(exc) from None
        slots = [float(score) for _, score in cast("list[tuple[bytes, float]]", taken)]
        over = len(slots) + actions - per_hour
        if over <= 0:
            return 0.0
        if over > len(slots):
            return HOUR
        return max(slots[over - 1] + HOUR - now, 0.0)

    def _down(self, exc: Exception) -> SlotStoreDown:
        return SlotStoreDown(f"the broker {self.broker} is unreachable ({first_line(exc)})")
