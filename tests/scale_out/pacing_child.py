"""A worker process for the shared-pacing test: paces one account through Redis and prints
the times it acted, as JSON, once it is done.

``python -m tests.scale_out.pacing_child BROKER_URL PORTAL ACCOUNT ACTIONS MIN_SECONDS``.
It says "ready" on the list ``ready`` and starts when ``go`` has an item for it, so the
test's processes race from the same moment (no sleep to line them up).
"""

from __future__ import annotations

import json
import sys
import time

import redis

from assistant.app.shared_pacing import RedisSlots
from flows.pacing import Pace, Pacer


def main(url: str, portal: str, account: str, actions: int, min_seconds: float) -> None:
    store = RedisSlots(url, portal, account, portal_per_minute=0)
    slots: list[float] = []
    pacer = Pacer(Pace(min_seconds=min_seconds), record=slots.append, store=store)
    client = redis.Redis.from_url(url)
    client.rpush("ready", account)
    client.blpop(["go"], timeout=30)
    acted: list[float] = []
    for n in range(actions):
        pacer.wait(f"action {n}")
        acted.append(time.time())
    print(json.dumps({"slots": slots, "acted": acted}))


if __name__ == "__main__":
    url, portal, account, actions, min_seconds = sys.argv[1:6]
    main(url, portal, account, int(actions), float(min_seconds))
