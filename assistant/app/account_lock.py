"""One account, one worker at a time: a lock in Redis that every queue worker shares.

Two workers on one account would both sign in (the portal sees two sign-ins, and a real
marketplace flags that) and could race on its orders. So a worker takes the account's
lock before it opens the account's context, and gives it back after the case.

Why Redis and not a PostgreSQL advisory lock: the broker is there for every queue worker
whichever journal it writes (SQLite on one machine, PostgreSQL across machines), and a
key with a time-to-live frees itself when its worker is killed, after the same wait as
the case's lease (``lease_seconds``), with no connection held open for it meanwhile.
While the worker is alive it renews the lock (``renew``, from
``assistant.app.lease_heartbeat``), so the time-to-live need not outlast a case.
The value names the holder, so a worker takes its own lock again at once (its next case
of the same account) and never frees another's.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

PREFIX = "order-assistant:account-lock:"

# Take the lock when it is free or already ours (then its time is renewed); else say who
# has it. One script, so two workers asking at once cannot both get it.
_ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if (not current) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ''
end
return current
"""
# Free the lock only if it is still ours (it may have expired and been taken since).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
# Give the lock another full time-to-live only if it is still ours: a lock that expired
# (and may have been taken since) is never extended, nor taken back, by a renewal.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


def lock_key(account: str) -> str:
    """The account's key: a digest, so no account name reaches Redis's key space."""
    return PREFIX + hashlib.sha256(account.encode("utf-8")).hexdigest()[:24]


class AccountLocks:
    """The account locks as one worker (``holder``) takes and frees them."""

    def __init__(self, client: redis.Redis, holder: str, ttl_seconds: float) -> None:
        self.client = client
        self.holder = holder
        self.ttl_ms = max(1, int(ttl_seconds * 1000))
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)

    def acquire(self, account: str) -> str | None:
        """Take ``account`` for ``ttl_seconds``: None when taken, else who holds it."""
        other = self._acquire(keys=[lock_key(account)], args=[self.holder, self.ttl_ms])
        text = other.decode("utf-8") if isinstance(other, bytes) else str(other)
        return text or None

    def release(self, account: str) -> None:
        """Give ``account`` back, if this worker still holds it."""
        self._release(keys=[lock_key(account)], args=[self.holder])

    def renew(self, account: str) -> bool:
        """Hold ``account`` another ``ttl_seconds`` from now; False if this worker no
        longer holds it (expired, or taken by another worker since)."""
        renewed = self._renew(keys=[lock_key(account)], args=[self.holder, self.ttl_ms])
        return bool(renewed)

    def holder_of(self, account: str) -> str | None:
        """Who holds ``account`` now (None: nobody)."""
        value = self.client.get(lock_key(account))
        if value is None:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)
