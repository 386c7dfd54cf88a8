"""The product against the plain-script peer, and asset blocking on heavy pages (issue 16).

Every sample is a whole process, cold, as a user runs it: ``order-assistant cancel ID``
with an empty data dir (fresh sign-in, no saved session) against ``benchmarks/peer_script.py``
doing the same clicks with no journal, policy, verification or retries. The portal is
reset before each sample, the two alternate (product, peer, product, peer...) so a change
of the machine's load hits both, and the figures are medians with their ratio.

Work compared, on each skin (accessible, real):
- ``request``: a paid order, cancellation requested ("No" to the report), then a message
  to the seller;
- ``instant``: an unpaid order, cancelled by "Submit" alone.
Then, on pages as heavy as the real site's (``--page-weight real``, mock_site/weight.py),
the product with its asset blocking on (the default) against off.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import procstat
from benchmarks.scenario import ACCOUNTS, build, order_id
from benchmarks.server import PortalProcess
from flows.browser.launch import resolve_browser
from flows.browser.sessions import KEY_ENV, new_key
from tests.support.cli import NO_PACING

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "benchmarks" / "peer_script.py"
#: The order each kind of work acts on (account 0: index 0 unpaid, index 1 paid).
ORDERS = {"instant": order_id(0, 0), "request": order_id(0, 1)}


@dataclass(frozen=True)
class Sample:
    """One whole process: wall time, CPU of its tree (reaped children), peak PSS."""

    wall_s: float
    cpu_s: float
    peak_pss_mb: float


def scenario() -> dict[str, Any]:
    """One account with an unpaid and a paid order (and a few others around them)."""
    return build([["unpaid", "paid", "paid", "unpaid", "closed"]], "bench-peer")


def _browser() -> str | None:
    choice = resolve_browser(None)
    executable = getattr(choice, "executable", None)
    return str(executable) if executable else None


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_ASSISTANT_")}
    browser = _browser()
    if browser:
        env["ORDER_ASSISTANT_BROWSER"] = browser
        env["PEER_BROWSER"] = browser
    return env


def measure(cmd: list[str], env: dict[str, str]) -> Sample:
    """Run ``cmd`` to its end; its CPU is the reaped tree's (Python, Node driver, Chromium)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with procstat.Sampler(root=process.pid, interval=0.05, pss_every=2) as sampler:
        _, err = process.communicate(timeout=300)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... exited {process.returncode}: {err[-1500:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Sample(wall, cpu, sampler.peak_pss / 2**20)


@contextmanager
def _data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="oa-bench-peer-") as tmp:
        yield Path(tmp)


def product(portal: PortalProcess, kind: str, *, block_assets: bool = True) -> Sample:
    """``order-assistant cancel ID`` as a user runs it, with an empty data dir."""
    account = ACCOUNTS[0]
    with _data_dir() as tmp:
        env = {
            **_base_env(),
            **NO_PACING,
            "ORDER_ASSISTANT_DATA_DIR": str(tmp / "data"),
            "ORDER_ASSISTANT_CONFIG": str(tmp / "none.toml"),
            "ORDER_ASSISTANT_PORTAL_URL": portal.url,
            "ORDER_ASSISTANT_USERNAME": account["email"],
            "ORDER_ASSISTANT_PASSWORD": account["password"],
            "ORDER_ASSISTANT_NOW": portal.state()["now"],
            "ORDER_ASSISTANT_BLOCK_ASSETS": "true" if block_assets else "false",
            KEY_ENV: new_key(),
        }
        cli = [sys.executable, "-m", "assistant", "cancel", ORDERS[kind]]
        return measure(cli, env)


def peer(portal: PortalProcess, kind: str) -> Sample:
    """The plain script, same order, same clicks."""
    account = ACCOUNTS[0]
    env = {**_base_env(), "PEER_USERNAME": account["email"], "PEER_PASSWORD": account["password"]}
    cmd = [sys.executable, str(PEER), "--portal", portal.url, "--skin", portal.skin]
    return measure([*cmd, "--order", ORDERS[kind], "--kind", kind], env)


def _check(portal: PortalProcess, kind: str) -> None:
    """The work was done on the portal: one request (with "No") or one instant cancel."""
    order = portal.state()["orders"][ORDERS[kind]]
    [request] = order["cancellation_requests"]
    want = ("cancellation_requested", "no", 1) if kind == "request" else ("closed", None, 0)
    buyer = [m for m in order["messages"] if m["author"] == "buyer"]
    got = (order["state"], request["report"], len(buyer))
    if got != want:
        raise RuntimeError(f"{kind}: the portal shows {got}, expected {want}")


def alternate(
    portal: PortalProcess,
    reps: int,
    kind: str,
    sides: dict[str, Callable[[], Sample]],
    log: Callable[[str], None],
    served: dict[str, Any],
) -> dict[str, list[Sample]]:
    """``reps`` rounds of every side in turn, the portal reset before each sample;
    ``served`` gets what the portal served each side's last sample (assets, beacons)."""
    samples: dict[str, list[Sample]] = {name: [] for name in sides}
    for rep in range(reps):
        order = list(sides.items()) if rep % 2 == 0 else list(sides.items())[::-1]
        for name, run in order:
            portal.reset(scenario())
            samples[name].append(run())
            _check(portal, kind)
            served[name] = portal.state()["page_weight"]
        log(
            f"  {kind} rep {rep + 1}: "
            + ", ".join(
                f"{n} {s[-1].wall_s:.2f} s/{s[-1].cpu_s:.2f} CPU" for n, s in samples.items()
            )
        )
    return samples


def _median(samples: list[Sample], attr: str) -> float:
    return float(statistics.median(getattr(s, attr) for s in samples))


def summary(a: list[Sample], b: list[Sample]) -> dict[str, float]:
    """Medians of both sides and the ratios a/b (wall, CPU)."""
    out = {
        "a_wall_s": _median(a, "wall_s"),
        "a_cpu_s": _median(a, "cpu_s"),
        "a_pss_mb": max(s.peak_pss_mb for s in a),
        "b_wall_s": _median(b, "wall_s"),
        "b_cpu_s": _median(b, "cpu_s"),
        "b_pss_mb": max(s.peak_pss_mb for s in b),
    }
    out["wall_ratio"] = out["a_wall_s"] / out["b_wall_s"]
    out["cpu_ratio"] = out["a_cpu_s"] / out["b_cpu_s"]
    return out


def run_peer(reps: int, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Product / peer on both skins, request+message and instant cancel."""
    rows = []
    for skin in ("accessible", "real"):
        with PortalProcess(scenario(), skin=skin) as portal:
            for kind in ("request", "instant"):
                log(f"product vs plain script: {skin}, {kind}, {reps} rounds")
                sides = {
                    "product": lambda p=portal, k=kind: product(p, k),
                    "peer": lambda p=portal, k=kind: peer(p, k),
                }
                got = alternate(portal, reps, kind, sides, log, {})
                rows.append({"skin": skin, "kind": kind, **summary(got["product"], got["peer"])})
    return rows


def run_heavy(reps: int, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """On pages as heavy as the real site's: the product with blocking on against off."""
    rows = []
    for skin in ("accessible", "real"):
        with PortalProcess(scenario(), skin=skin, page_weight="real") as portal:
            kind = "request"
            log(f"heavy pages: {skin}, {kind}, blocking on / off, {reps} rounds")
            sides = {
                "blocking": lambda p=portal, k=kind: product(p, k, block_assets=True),
                "no blocking": lambda p=portal, k=kind: product(p, k, block_assets=False),
            }
            served: dict[str, Any] = {}
            got = alternate(portal, reps, kind, sides, log, served)
            rows.append(
                {
                    "skin": skin,
                    "kind": kind,
                    **summary(got["blocking"], got["no blocking"]),
                    "served_blocking": served["blocking"],
                    "served_no_blocking": served["no blocking"],
                }
            )
    return rows
