"""Where a batch's time goes: py-spy over the product's ``run``, and Chromium's own trace
of the renderer (issue 16).

Two recordings of the same batch (``benchmarks.batch``, 1 context, pacing off), each in a
process of its own under ``py-spy record --format raw``:
- *wall*: every sample, idle ones included (``--idle``), so a function's inclusive share
  is the share of the batch's wall time spent in it, waiting on the browser included;
- *Python CPU*: only samples holding the GIL (``--gil``): what Python itself burns.
The collapsed stacks are folded into the product's own functions (``assistant.*``,
``flows.*``) by inclusive share, and the hottest frames by own share.

Python is a small part of a case's CPU, the renderer the largest, so the renderer's main
thread is traced too (``Browser.start_tracing``, Playwright's handle on Chromium's trace)
while the real flows read, cancel and message four orders; its self time is folded by
event: ``api_call`` is the page-side work of Playwright's calls (the injected selector
engine), the rest is the page itself (parsing, style, layout, paint, its scripts).

    .venv/bin/python -m benchmarks.profile [--orders 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY_SPY = Path(sys.executable).parent / "py-spy"
#: The batch run under the profiler: the same code as ``benchmarks.run``'s batch.
BATCH = """
import json, sys
from benchmarks import scenario
from benchmarks.batch import run_batch
from benchmarks.server import PortalProcess
data, ids = scenario.batch_scenario(int(sys.argv[1]))
with PortalProcess(data) as server:
    result = run_batch(server, data, ids, 1)
print(json.dumps({"orders": result.orders, "errors": result.errors}))
"""
OURS = ("assistant/", "flows/")
#: Chromium trace categories for the renderer: ``devtools`` holds ``api_call`` (the page
#: side of a Playwright call), the others the page's own work.
TRACE_CATEGORIES = ("devtools", "devtools.timeline", "v8.execute", "toplevel", "blink", "loading")
#: Only the stacks of the product's run count (not the benchmark's sampler thread, the
#: interpreter's start or asyncio's child watcher): shares are of the run itself.
ROOT_FRAME = "run_due (assistant/app/service.py)"


def record(orders: int, mode: str, out: Path) -> None:
    """One batch under py-spy; ``mode`` is "wall" (--idle) or "cpu" (--gil)."""
    flag = "--idle" if mode == "wall" else "--gil"
    cmd = [str(PY_SPY), "record", flag, "--format", "raw", "--rate", "200", "--nolineno"]
    cmd += ["-o", str(out), "--", sys.executable, "-c", BATCH, str(orders)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed ({done.returncode}): {done.stderr[-1500:]}")


def fold(raw: Path) -> dict[str, Any]:
    """Inclusive shares of the product's functions and own shares of every frame, of the
    samples inside the product's ``run_due``."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if not any(ROOT_FRAME in _short(frame) for frame in frames):
            continue
        total += count
        own[_short(frames[-1])] += count
        for frame in set(frames):
            if any(part in frame for part in OURS) and "(" in frame:
                inclusive[_short(frame)] += count
    share = lambda n: round(100 * n / max(total, 1), 1)  # noqa: E731
    return {
        "samples": total,
        "ours_inclusive_pct": [(f, share(n)) for f, n in inclusive.most_common(25)],
        "own_pct": [(f, share(n)) for f, n in own.most_common(15)],
    }


def _short(frame: str) -> str:
    """``read (flows/order_page.py)`` from py-spy's ``read (flows/order_page.py)`` or a
    longer path."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


def renderer_trace(orders: int = 4) -> dict[str, Any]:
    """The renderer main thread's self time by trace event while the flows do ``orders``
    paid orders (read, request, message), per order."""
    from pydantic import SecretStr

    from benchmarks.flows_bench import BENCH_KEY, MESSAGE, REASONS
    from benchmarks.scenario import ACCOUNTS, NOW, batch_scenario
    from benchmarks.server import PortalProcess
    from flows.browser.sessions import SessionFile
    from flows.portal import Credentials, Portal
    from flows.profile import load_profile
    from flows.session import launched_browser

    data, ids = batch_scenario(4 * orders + 4)
    paid = [oid for n, oid in enumerate(ids[0]) if n % 2 == 1][: orders + 1]
    account = ACCOUNTS[0]
    creds = Credentials(account["email"], SecretStr(account["password"]))
    with (
        PortalProcess(data) as server,
        launched_browser() as (_, browser),
        tempfile.TemporaryDirectory() as tmp,
    ):
        session = SessionFile(Path(tmp) / "s.json", account["email"], BENCH_KEY)
        portal = Portal(
            browser,
            base_url=server.url,
            profile=load_profile(),
            credentials=creds,
            session=session,
        )
        portal.read_order(paid[0], NOW)  # signed in, warm: the trace is per order
        browser.start_tracing(categories=[*TRACE_CATEGORIES])
        for oid in paid[1:]:
            portal.read_order(oid, NOW)
            portal.cancel(
                oid, reasons=REASONS, report_supplier=False, now=NOW, before_submit=lambda _: None
            )
            portal.send_message(oid, MESSAGE)
        raw = browser.stop_tracing()
        portal.close()
    return _fold_renderer(json.loads(raw)["traceEvents"], orders)


def _fold_renderer(events: list[dict[str, Any]], orders: int) -> dict[str, Any]:
    """Self time (thread time where the trace has it) by event name on CrRendererMain."""
    threads = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"
    }
    by_thread: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for e in events:
        if e.get("ph") == "X" and "dur" in e and (e["pid"], e["tid"]) in threads:
            by_thread.setdefault((e["pid"], e["tid"]), []).append(e)
    own: Counter[str] = Counter()
    calls = 0
    for spans in by_thread.values():
        spans.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack: list[dict[str, Any]] = []
        for e in spans:
            while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]:
                stack.pop()
            spent = e.get("tdur", e["dur"])
            own[e["name"]] += spent
            if stack:
                own[stack[-1]["name"]] -= spent
            stack.append(e)
            calls += e["name"] == "api_call" and not any(
                s["name"] == "api_call" for s in stack[:-1]
            )
    total = sum(own.values())
    return {
        "orders": orders,
        "renderer_main_ms_per_order": round(total / 1000 / orders, 1),
        "page_evaluations_per_order": round(calls / orders, 1),
        "self_pct": [(name, round(100 * t / max(total, 1), 1)) for name, t in own.most_common(12)],
    }


def run_profile(orders: int) -> dict[str, Any]:
    """Both recordings of one batch of ``orders``, folded, and the renderer's trace."""
    with tempfile.TemporaryDirectory(prefix="oa-bench-prof-") as tmp:
        out: dict[str, Any] = {"orders": orders}
        for mode in ("wall", "cpu"):
            raw = Path(tmp) / f"{mode}.txt"
            record(orders, mode, raw)
            out[mode] = fold(raw)
    out["renderer"] = renderer_trace()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run_profile(args.orders)
    for mode, title in (("wall", "wall time (idle included)"), ("cpu", "Python CPU (GIL held)")):
        print(f"\n{title}: {result[mode]['samples']} samples")
        print("  the product's functions, inclusive:")
        for frame, pct in result[mode]["ours_inclusive_pct"][:15]:
            print(f"    {pct:5.1f} %  {frame}")
        print("  hottest frames, own:")
        for frame, pct in result[mode]["own_pct"][:10]:
            print(f"    {pct:5.1f} %  {frame}")
    renderer = result["renderer"]
    print(
        f"\nrenderer main thread: {renderer['renderer_main_ms_per_order']} ms per order, "
        f"{renderer['page_evaluations_per_order']} page-side evaluations per order "
        "(a waiting call polls); self time:"
    )
    for name, pct in renderer["self_pct"]:
        print(f"    {pct:5.1f} %  {name}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
