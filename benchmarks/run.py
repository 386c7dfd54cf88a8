"""One command for the whole benchmark: ``python -m benchmarks.run [--quick] [--json out.json]``.

Starts the mock portal in a subprocess, then measures: the product against the plain
Playwright script doing the same clicks (``peer``, whole processes, both skins); the
product on pages as heavy as the real site's with its asset blocking on and off
(``heavy``); the flows (real ``flows`` code, cold and warm) and their HTTP floor; the
batch at 1/2/4 contexts with CPU and PSS by kind of process; what one context costs in
memory under Chromium's flags (``memory``); where the batch's Python time goes (py-spy,
``profile``); ``order-assistant run`` with nothing due; and (``--suite``) the test suite.
Prints tables and PASS/MISS per target of issue 16, and writes everything as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import scenario
from benchmarks.batch import run_batch
from benchmarks.cli_bench import run_nothing_due, run_suite
from benchmarks.flows_bench import run_flows
from benchmarks.memory import run_memory
from benchmarks.peer import run_heavy, run_peer
from benchmarks.profile import run_profile
from benchmarks.server import PortalProcess

console = Console()


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    from importlib.metadata import version

    from flows.browser.launch import resolve_browser

    try:
        choice = resolve_browser(None)
        exe = (
            str(choice.executable or "playwright bundled")
            if hasattr(choice, "executable")
            else str(choice)
        )
    except Exception as exc:
        exe = f"? ({exc})"
    chromium = "?"
    for candidate in ("/usr/bin/chromium", exe):
        try:
            out = subprocess.run(
                [candidate, "--version"], capture_output=True, text=True, timeout=20, check=False
            ).stdout
            chromium = out.strip().splitlines()[0] if out.strip() else chromium
            break
        except (OSError, subprocess.SubprocessError):
            continue
    pressure = ""
    with contextlib.suppress(OSError):
        pressure = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "playwright": version("playwright"),
        "chromium": chromium,
        "browser_setting": exe,
        "loadavg": os.getloadavg(),
        "cpu_pressure": pressure,
    }


def fmt(x: float | None, unit: str = "s") -> str:
    if x is None:
        return "-"
    if unit == "s":
        return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"
    if unit == "x":
        return f"{x:.1f}×"
    return f"{x:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 repetitions, batch of 40")
    parser.add_argument("--reps", type=int, help="repetitions per flow (default 5, quick 3)")
    parser.add_argument("--batch", type=int, help="orders in the batch (default 200, quick 40)")
    parser.add_argument("--concurrency", default="1,2,4", help="contexts in the batch")
    parser.add_argument(
        "--skip",
        default="",
        help="comma list of: peer,heavy,flows,batch,memory,profile,cli",
    )
    parser.add_argument("--suite", action="store_true", help="also time `pytest -n 2` once")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--trace",
        default="retries",
        choices=["retries", "always", "never"],
        help="the batch's `trace` setting (the product's default: retries)",
    )
    args = parser.parse_args(argv)
    reps = args.reps or (3 if args.quick else 5)
    batch_n = args.batch or (40 if args.quick else 200)
    levels = [int(c) for c in args.concurrency.split(",") if c]
    skip = set(filter(None, args.skip.split(",")))
    if reps > 10:
        parser.error("--reps at most 10 (the scenario has 100 orders per account)")

    log = lambda msg: console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {msg}")  # noqa: E731
    results: dict[str, Any] = {
        "machine": machine(),
        "reps": reps,
        "batch_orders": batch_n,
        "trace": args.trace,
        "pacing": "off",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    started = time.perf_counter()
    if "peer" not in skip:
        results["peer"] = run_peer(reps, log)
    if "heavy" not in skip:
        results["heavy"] = run_heavy(reps, log)
    flows_data, flows_ids = scenario.flows_scenario(3 * reps + 2)
    batch_data, batch_ids = scenario.batch_scenario(batch_n)
    with PortalProcess(flows_data) as server:
        if "flows" not in skip:
            log(f"flows: {reps} repetitions, median reported")
            results["flows"] = [r.row() for r in run_flows(server.url, flows_ids, reps, log)]
        if "batch" not in skip:
            results["batch"] = []
            for level in levels:
                log(
                    f"batch: {batch_n} due cases (`run`), {level} context(s), trace "
                    f"{args.trace}, pacing off"
                )
                result = run_batch(server, batch_data, batch_ids, level, trace=args.trace)
                results["batch"].append(asdict(result))
                log(f"  {result.orders_per_minute:.1f} orders/min, {result.peak_rss_mb:.0f} MB")
    if "memory" not in skip:
        results["memory"] = run_memory(batch_data, log)
    if "profile" not in skip:
        log("profile: py-spy over a batch of 20 at 1 context")
        results["profile"] = run_profile(20)
    if "cli" not in skip:
        log("order-assistant run, nothing due")
        results["run_nothing_due"] = run_nothing_due(5)
    if args.suite:
        log("test suite: pytest -n 2")
        results["suite"] = run_suite()
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["total_s"] = time.perf_counter() - started
    results["targets"] = targets(results)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        log(f"written {args.json}")
    return 0


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 16's targets, PASS/MISS each (n/a when its part was skipped)."""
    out: list[dict[str, Any]] = []

    def add(name: str, value: str, ok: bool | None, note: str = "") -> None:
        result = "n/a" if ok is None else ("PASS" if ok else "MISS")
        out.append({"target": name, "value": value, "result": result, "note": note})

    peers = {(p["skin"], p["kind"]): p for p in r.get("peer", [])}
    for kind, label in (("request", "one-off cancel + message"), ("instant", "instant cancel")):
        rows = [peers[(skin, kind)] for skin in ("accessible", "real") if (skin, kind) in peers]
        worst = max((max(p["wall_ratio"], p["cpu_ratio"]) for p in rows), default=None)
        value = "; ".join(
            f"{p['skin']} {p['wall_ratio']:.2f}× / {p['cpu_ratio']:.2f}×" for p in rows
        )
        add(
            f"{label}, product / plain script, wall / CPU ≤ 1.25×",
            value or "-",
            None if worst is None else worst <= 1.25,
        )
    batch = {b["concurrency"]: b for b in r.get("batch", [])}
    one, two = batch.get(1), batch.get(2)
    add(
        "CPU per order in a batch (1 context) ≤ 0.45 s",
        f"{one['cpu_all_s_per_order']:.2f} s" if one else "-",
        None if one is None else one["cpu_all_s_per_order"] <= 0.45,
        "every process of the tree, sampled" if one else "",
    )
    speedup = two["orders_per_minute"] / one["orders_per_minute"] if one and two else None
    add(
        "batch throughput, 2 contexts / 1 ≥ 1.5×",
        fmt(speedup, "x") if speedup else "-",
        None if speedup is None else speedup >= 1.5,
        f"{r['machine']['nproc']} cores",
    )
    for level, limit in ((1, 450), (2, 600)):
        b = batch.get(level)
        add(
            f"peak PSS of the process tree, {level} context(s) ≤ {limit} MB",
            f"{b['peak_pss_mb']:.0f} MB" if b else "-",
            None if b is None else b["peak_pss_mb"] <= limit,
        )
    heavy = r.get("heavy", [])
    worst_heavy = max((h["wall_ratio"] for h in heavy), default=None)
    add(
        "same flow on heavy pages, with blocking / without ≤ 0.5×",
        "; ".join(f"{h['skin']} {h['wall_ratio']:.2f}× / {h['cpu_ratio']:.2f}×" for h in heavy)
        or "-",
        None if worst_heavy is None else worst_heavy <= 0.5,
        "wall / CPU",
    )
    run = r.get("run_nothing_due")
    add(
        "`run` with nothing due ≤ 250 ms, no browser",
        fmt(run["median_s"]) if run else "-",
        None if run is None else run["median_s"] <= 0.25 and not run["browser_started"],
        (f"CPU {fmt(run['cpu_median_s'])}" if run else ""),
    )
    return out


def report(r: dict[str, Any]) -> None:
    m = r["machine"]
    console.print(
        f"\n[bold]machine[/]: {m['nproc']} cores, {m['cpu']}, {m['memory_gb']} GB, "
        f"{m['chromium']}, Playwright {m['playwright']}, Python {m['python']}; "
        f"load average {m['loadavg'][0]:.1f} → {m['loadavg_end'][0]:.1f}"
    )
    if r.get("peer"):
        t = Table(title=f"product / plain script, whole processes, cold (median of {r['reps']})")
        for col in ("skin", "work", "product", "script", "wall ×", "CPU ×", "peak PSS"):
            t.add_column(col, justify="left" if col in ("skin", "work") else "right")
        for p in r["peer"]:
            t.add_row(
                p["skin"],
                "request + message" if p["kind"] == "request" else "instant cancel",
                f"{p['a_wall_s']:.2f} s / {p['a_cpu_s']:.2f} CPU",
                f"{p['b_wall_s']:.2f} s / {p['b_cpu_s']:.2f} CPU",
                f"{p['wall_ratio']:.2f}",
                f"{p['cpu_ratio']:.2f}",
                f"{p['a_pss_mb']:.0f} / {p['b_pss_mb']:.0f} MB",
            )
        console.print(t)
    if r.get("heavy"):
        t = Table(title="heavy pages (Web Almanac median page): product, blocking on / off")
        for col in ("skin", "blocking", "no blocking", "wall ×", "CPU ×", "served (on / off)"):
            t.add_column(col, justify="left" if col == "skin" else "right")
        for h in r["heavy"]:
            on, off = h["served_blocking"], h["served_no_blocking"]
            t.add_row(
                h["skin"],
                f"{h['a_wall_s']:.2f} s / {h['a_cpu_s']:.2f} CPU",
                f"{h['b_wall_s']:.2f} s / {h['b_cpu_s']:.2f} CPU",
                f"{h['wall_ratio']:.2f}",
                f"{h['cpu_ratio']:.2f}",
                f"{on['bytes'] / 2**20:.1f} / {off['bytes'] / 2**20:.1f} MB, "
                f"{on['beacons_total']} / {off['beacons_total']} beacons",
            )
        console.print(t)
    if r.get("flows"):
        t = Table(title=f"flows against the mock portal (median of {r['reps']})")
        for col in ("flow", "cold", "warm", "HTTP floor", "warm/floor", "requests browser/floor"):
            t.add_column(col, justify="left" if col == "flow" else "right")
        for f in r["flows"]:
            t.add_row(
                f["label"],
                fmt(f["cold_s"]),
                fmt(f["warm_s"]),
                fmt(f["floor_s"]),
                fmt(f["warm_over_floor"], "x"),
                f"{f['browser_requests']}/{f['floor_requests']}",
            )
        console.print(t)
    if r.get("batch"):
        t = Table(title=f"batch: `run` over {r['batch_orders']} due cases of 2 accounts")
        for col in (
            "contexts",
            "time",
            "orders/min",
            "CPU s/order (reaped)",
            "peak RSS",
            "peak PSS",
            "processes",
            "errors",
        ):
            t.add_column(col, justify="right")
        for b in r["batch"]:
            t.add_row(
                str(b["concurrency"]),
                fmt(b["seconds"]),
                f"{b['orders_per_minute']:.1f}",
                f"{b['cpu_s_per_order']:.2f}",
                f"{b['peak_rss_mb']:.0f} MB",
                f"{b['peak_pss_mb']:.0f} MB",
                str(b["peak_processes"]),
                str(b["errors"]),
            )
        console.print(t)
        for b in r["batch"]:
            kinds = ", ".join(
                f"{k} {v / max(b['orders'], 1):.2f}"
                for k, v in sorted(b["cpu_by_kind"].items(), key=lambda kv: -kv[1])
                if v / max(b["orders"], 1) >= 0.005
            )
            console.print(
                f"  {b['concurrency']} context(s): CPU s/order, every process "
                f"{b['cpu_all_s_per_order']:.2f}: {kinds}"
            )
            pss = ", ".join(f"{k} {v:.0f}" for k, v in b["peak_pss_by_kind"].items())
            console.print(f"    PSS MB at the peak: {pss}")
    for row in r.get("memory", []):
        steps = "; ".join(f"{s['step']} {s['total_mb']:.0f} MB" for s in row["steps"])
        console.print(f"memory, {row['variant']}: {steps}")
    if r.get("memory"):
        last = r["memory"][0]["steps"]
        for step in last:
            kinds = ", ".join(
                f"{k} {mb:.0f} ({n})" for k, (n, mb) in sorted(step["by_kind"].items())
            )
            console.print(f"  product flags, {step['step']}: {kinds}")
    prof = r.get("profile")
    if prof:
        for mode, title in (("cpu", "Python CPU (GIL held)"), ("wall", "Python, idle included")):
            top = ", ".join(f"{f} {pct}%" for f, pct in prof[mode]["ours_inclusive_pct"][7:15])
            console.print(f"py-spy, {title}, {prof[mode]['samples']} samples: {top}")
        renderer = prof["renderer"]
        events = ", ".join(f"{name} {pct}%" for name, pct in renderer["self_pct"][:6])
        console.print(
            f"renderer main thread: {renderer['renderer_main_ms_per_order']} ms per paid "
            f"order, {renderer['page_evaluations_per_order']} page-side evaluations; {events}"
        )
    run = r.get("run_nothing_due")
    if run:
        console.print(
            f"\n`order-assistant run`, nothing due: median {fmt(run['median_s'])} "
            f"(CPU {fmt(run['cpu_median_s'])}; bare python {fmt(run['python_bare_median_s'])}); "
            f"browser processes: "
            f"{run['browser_processes_seen'] or 'none'}; Playwright imported: "
            f"{run['playwright_imported']}"
        )
    if r.get("suite"):
        s = r["suite"]
        console.print(
            f"test suite (pytest -n 2): {fmt(s['seconds'])}, exit {s['exit_code']}: {s['summary']}"
        )
    t = Table(title="targets (issue 16)")
    for col in ("target", "value", "result", "note"):
        t.add_column(col)
    for x in r["targets"]:
        style = {"PASS": "green", "MISS": "red"}.get(x["result"], "dim")
        t.add_row(x["target"], x["value"], f"[{style}]{x['result']}[/]", x["note"])
    console.print(t)
    console.print(f"total {fmt(r['total_s'])}")


if __name__ == "__main__":
    sys.exit(main())
