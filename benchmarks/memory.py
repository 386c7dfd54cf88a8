"""What one browser context costs in memory, and what Chromium's flags save (issue 16).

In one process, as the product runs: Playwright's driver and a Chromium launched with the
product's flags (``flows.session.launched_browser``), then one signed-in context with an
order's detail page read (``flows.portal.Portal``), then a second one. After each step
the PSS of every process of the tree (shared pages split between their users: the real
footprint, unlike an RSS sum) is read from ``/proc`` and grouped by kind: Python, the
Node driver, and Chromium's browser, GPU, utility (network, storage) and renderer
processes. Each flag set is a fresh Chromium.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from benchmarks import procstat
from benchmarks.flows_bench import BENCH_KEY
from benchmarks.scenario import ACCOUNTS, NOW, order_id
from benchmarks.server import PortalProcess
from flows.browser.sessions import SessionFile
from flows.portal import Credentials, Portal
from flows.profile import load_profile
from flows.session import launched_browser

#: The flag sets compared: the product's launch, then one change at a time, then all.
VARIANTS: dict[str, tuple[str, ...]] = {
    "product flags": (),
    "--renderer-process-limit=1": ("--renderer-process-limit=1",),
    "--in-process-gpu": ("--in-process-gpu",),
    "--enable-low-end-device-mode": ("--enable-low-end-device-mode",),
    "all three": (
        "--renderer-process-limit=1",
        "--in-process-gpu",
        "--enable-low-end-device-mode",
    ),
}


def _snapshot(exclude: int) -> dict[str, tuple[int, float]]:
    """The tree by kind once it has settled: the largest of a few readings 0.2 s apart
    (a process just started is still growing)."""
    best: dict[str, tuple[int, float]] = {}
    for _ in range(5):
        now = procstat.pss_by_kind(os.getpid(), exclude=(exclude,))
        if sum(mb for _, mb in now.values()) > sum(mb for _, mb in best.values()):
            best = now
        time.sleep(0.2)  # allowed: a benchmark's settling reading, not a test
    return best


def measure(
    portal: PortalProcess, flags: tuple[str, ...], contexts: int = 2
) -> list[dict[str, Any]]:
    """PSS by kind after launch, then after each signed-in context reading an order."""
    account = ACCOUNTS[0]
    creds = Credentials(account["email"], SecretStr(account["password"]))
    profile = load_profile()
    steps = []
    with tempfile.TemporaryDirectory(prefix="oa-bench-mem-") as tmp, ExitStack() as stack:
        _, browser = stack.enter_context(launched_browser(extra_args=flags))
        steps.append({"step": "browser", "by_kind": _snapshot(portal.pid)})
        for n in range(contexts):
            session = SessionFile(Path(tmp) / "saved.json", account["email"], BENCH_KEY)
            page = stack.enter_context(
                Portal(
                    browser,
                    base_url=portal.url,
                    profile=profile,
                    credentials=creds,
                    session=session,
                )
            )
            page.read_order(order_id(0, 1 + n), NOW)
            steps.append({"step": f"{n + 1} context(s)", "by_kind": _snapshot(portal.pid)})
        ours = set(procstat.tree(os.getpid(), exclude=(portal.pid,))) - {os.getpid()}
    _gone(ours)
    for step in steps:
        step["total_mb"] = sum(mb for _, mb in step["by_kind"].values())
    return steps


def _gone(pids: set[int], limit_s: float = 15) -> None:
    """Wait until the closed browser's processes have exited: while they live they share
    Chromium's pages with the next one, whose PSS would read lower than it is."""
    deadline = time.monotonic() + limit_s
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)  # allowed: a benchmark waiting for processes to exit


def other_chromiums() -> int:
    """Chromium processes on the machine outside this benchmark: they share Chromium's
    pages with ours and make every PSS figure read lower (the run says how many)."""
    ours = set(procstat.tree(os.getpid()))
    everyone = procstat.tree(1)  # init's tree: every process of the machine
    return sum(
        1 for pid, proc in everyone.items() if pid not in ours and "chrom" in proc.name.lower()
    )


def run_memory(scenario: dict[str, Any], log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Every flag set of ``VARIANTS``, each on a fresh Chromium, the portal reset."""
    rows = []
    with PortalProcess(scenario) as portal:
        for name, flags in VARIANTS.items():
            portal.reset(scenario)
            others = other_chromiums()
            log(f"memory: {name} ({others} other Chromium processes on the machine)")
            steps = measure(portal, flags)
            rows.append(
                {"variant": name, "flags": list(flags), "steps": steps, "other_chromium": others}
            )
            log("  " + ", ".join(f"{s['step']} {s['total_mb']:.0f} MB" for s in steps))
    return rows
