"""One command for the whole benchmark: ``python -m benchmarks.run [--quick] [--json out.json]``.

Starts the mock portal in a subprocess, then measures the flows (real ``flows`` code, cold
and warm), their HTTP floor, the batch at 1/2/4 contexts, ``order-assistant run`` with
nothing due and (``--suite``) the test suite; prints tables and PASS/MISS per target of
issue 9, and writes everything as JSON.
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
    parser.add_argument("--skip", default="", help="comma list of: flows,batch,cli")
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
    out: list[dict[str, Any]] = []

    def add(name: str, value: str, ok: bool | None, note: str = "") -> None:
        out.append(
            {
                "target": name,
                "value": value,
                "result": "n/a" if ok is None else ("PASS" if ok else "MISS"),
                "note": note,
            }
        )

    flows = {f["flow"]: f for f in r.get("flows", [])}
    req = flows.get("request_message")
    ratio = req and req["warm_over_floor"]
    add(
        "warm cancellation request + message ≤ 3× HTTP floor",
        fmt(ratio, "x") if ratio else "-",
        None if ratio is None else ratio <= 3,
    )
    batch = {b["concurrency"]: b for b in r.get("batch", [])}
    if 1 in batch and 4 in batch:
        speedup = batch[4]["orders_per_minute"] / batch[1]["orders_per_minute"]
        add(
            "batch: 4 contexts ≥ 2.5× throughput of 1",
            fmt(speedup, "x"),
            speedup >= 2.5,
            f"{r['machine']['nproc']} cores",
        )
        mem = batch[4]["peak_rss_mb"]
        add(
            "peak memory at 4 contexts < 600 MB (RSS sum of the tree)",
            f"{mem:.0f} MB",
            mem < 600,
            f"PSS {batch[4]['peak_pss_mb']:.0f} MB",
        )
    else:
        add("batch: 4 contexts ≥ 2.5× throughput of 1", "-", None)
        add("peak memory at 4 contexts < 600 MB", "-", None)
    run = r.get("run_nothing_due")
    if run:
        add(
            "`run` with nothing due < 0.5 s, no browser",
            fmt(run["median_s"]),
            run["median_s"] < 0.5 and not run["browser_started"],
            f"CPU {fmt(run['cpu_median_s'])}; no browser, Playwright not imported"
            if not run["browser_started"]
            else "a browser was started",
        )
    return out


def report(r: dict[str, Any]) -> None:
    m = r["machine"]
    console.print(
        f"\n[bold]machine[/]: {m['nproc']} cores, {m['cpu']}, {m['memory_gb']} GB, "
        f"{m['chromium']}, Playwright {m['playwright']}, Python {m['python']}; "
        f"load average {m['loadavg'][0]:.1f} → {m['loadavg_end'][0]:.1f}"
    )
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
            "CPU s/order",
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
            )
            console.print(f"  CPU s/order by process at {b['concurrency']}: {kinds}")
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
    t = Table(title="targets (issue 9)")
    for col in ("target", "value", "result", "note"):
        t.add_column(col)
    for x in r["targets"]:
        style = {"PASS": "green", "MISS": "red"}.get(x["result"], "dim")
        t.add_row(x["target"], x["value"], f"[{style}]{x['result']}[/]", x["note"])
    console.print(t)
    console.print(f"total {fmt(r['total_s'])}")


if __name__ == "__main__":
    sys.exit(main())
