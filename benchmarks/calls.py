"""Where a warm flow's time goes: every Playwright API call it makes, counted.

``python -m benchmarks.calls`` runs each flow once warm with ``DEBUG=pw:api`` (the driver
logs each call) and prints the calls per flow by kind.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from typing import Any

MARK = "@@@ "


def _child() -> None:
    from pydantic import SecretStr

    from benchmarks import scenario
    from benchmarks.flows_bench import MESSAGE, REASONS
    from benchmarks.server import PortalProcess
    from flows.portal import Credentials, Portal
    from flows.profile import load_profile
    from flows.session import launched_browser

    data, ids = scenario.flows_scenario(4)
    acct = scenario.ACCOUNTS[0]
    with PortalProcess(data) as server, launched_browser() as (_, browser):
        p = Portal(
            browser,
            base_url=server.url,
            profile=load_profile(),
            credentials=Credentials(acct["email"], SecretStr(acct["password"])),
        )
        p.read_order(ids["paid"][0], scenario.NOW)  # sign in, warm up
        p.read_order(ids["closed"][0], scenario.NOW)

        def mark(text: str) -> None:
            sys.stderr.write(f"{MARK}{text}\n")
            sys.stderr.flush()
            time.sleep(0.3)

        steps = {
            "read_order (paid)": lambda: p.read_order(ids["paid"][1], scenario.NOW),
            "cancel request": lambda: p.cancel(
                ids["paid"][2],
                reasons=REASONS,
                report_supplier=False,
                now=scenario.NOW,
                before_submit=lambda _d: None,
            ),
            "send_message": lambda: p.send_message(ids["paid"][2], MESSAGE),
            "refund read": lambda: p.read_order(ids["closed"][1], scenario.NOW),
        }
        for name, step in steps.items():
            mark(f"BEGIN {name}")
            t = time.perf_counter()
            step()
            mark(f"END {name} {time.perf_counter() - t:.3f}")
        p.close()


_LINE = re.compile(r"pw:api => (\S+) started")


def main() -> int:
    if "--child" in sys.argv:
        _child()
        return 0
    env = {**os.environ, "DEBUG": "pw:api"}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.calls", "--child"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    current: str | None = None
    calls: dict[str, Counter[str]] = defaultdict(Counter)
    wall: dict[str, Any] = {}
    for line in proc.stderr.splitlines():
        if line.startswith(MARK):
            words = line[len(MARK) :].split(" ")
            if words[0] == "BEGIN":
                current = " ".join(words[1:])
            else:
                wall[current or "?"] = float(words[-1])
                current = None
            continue
        found = _LINE.search(line)
        if current and found:
            calls[current][found.group(1)] += 1
    for name, seconds in wall.items():
        total = sum(calls[name].values())
        print(f"\n{name}: {seconds * 1000:.0f} ms wall, {total} Playwright API calls")
        for method, n in calls[name].most_common():
            print(f"  {n:3d} × {method}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
