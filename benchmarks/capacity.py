"""The capacity plan of docs/scale-out.md, computed from the queue benchmark's figures.

    .venv/bin/python -m benchmarks.capacity benchmarks/results-queue.json [--orders 10000]

Measured (``benchmarks/queue_bench.py`` on this machine): the seconds one worker spends on
a new case and on a daily follow-up check with pacing off, their CPU, and a worker's
memory. Assumed (the arguments, with DOMAIN.md's numbers as defaults): how many orders are
paid (a request, then daily checks until the seller answers and the refund arrives), how
many checks that takes, how many portal actions each step needs, the pace of the
``[pacing]`` defaults, and a peak factor for a day's work that comes in its busy half.
Prints every intermediate figure, so each can be checked by hand.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

DAY = 86_400.0


def plan(results: dict[str, Any], args: argparse.Namespace) -> list[tuple[str, str]]:
    figures = results["figures"]
    one = next(f for f in figures if f["mode"].startswith("queue") and f["processes"] == 1)
    follow = next(f for f in figures if f["mode"].startswith("follow-up"))
    case_s = 60 / one["orders_per_minute"]
    follow_s = 60 / follow["orders_per_minute"]
    paid = args.orders * args.paid_share
    checks = paid * args.checks_per_paid
    spacing = args.min_seconds + args.jitter_seconds / 2
    # A worker is held by a case for its work or for its paced actions, whichever is longer
    # (it sleeps for the account's next slot between actions).
    case_held = max(case_s, args.actions_per_case * spacing)
    check_held = max(follow_s, args.actions_per_check * spacing)
    held_per_day = args.orders * case_held + checks * check_held
    workers = math.ceil(args.peak * held_per_day / DAY)
    cpu_per_day = args.orders * one["cpu_s_per_order"] + checks * follow["cpu_s_per_order"]
    cores = math.ceil(args.peak * cpu_per_day / DAY * args.headroom)
    memory_gb = workers * one["peak_pss_mb_per_worker"] / 1024
    actions = args.orders * args.actions_per_case + checks * args.actions_per_check
    portal_per_minute = args.peak * actions / (DAY / 60)
    per_account_hour = args.peak * actions / args.accounts / 24
    return [
        (
            "measured: one worker, a new case (pacing off)",
            f"{case_s:.1f} s, {one['cpu_s_per_order']:.2f} CPU s",
        ),
        (
            "measured: one worker, a follow-up check",
            f"{follow_s:.1f} s, {follow['cpu_s_per_order']:.2f} CPU s",
        ),
        (
            "measured: memory per worker (PSS, with its Chromium)",
            f"{one['peak_pss_mb_per_worker']:.0f} MB",
        ),
        ("measured: the queue's overhead per case", f"{results.get('noop_overhead_ms')} ms"),
        (
            "orders a day / accounts",
            f"{args.orders} / {args.accounts} ({args.orders / args.accounts:.0f} per account)",
        ),
        (
            "paid orders (requests) / their daily checks",
            f"{paid:.0f} / {checks:.0f} ({args.checks_per_paid} each)",
        ),
        ("paced spacing per account (min + mean jitter)", f"{spacing:.1f} s"),
        ("a worker held per new case / per check", f"{case_held:.1f} s / {check_held:.1f} s"),
        ("worker-seconds a day", f"{held_per_day:,.0f}"),
        (f"workers at a peak of {args.peak}x the mean", f"{workers}"),
        (f"CPU cores (peak, {args.headroom}x headroom)", f"{cores}"),
        ("memory for the workers", f"{memory_gb:.1f} GB"),
        ("portal actions a day", f"{actions:,.0f}"),
        (
            "portal actions a minute at the peak",
            f"{portal_per_minute:.0f} (portal_per_minute must be at least this)",
        ),
        ("actions an hour per account at the peak", f"{per_account_hour:.1f} (per_hour cap: 240)"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.capacity")
    parser.add_argument("results", type=Path, help="queue_bench.py --json output")
    parser.add_argument("--orders", type=int, default=10_000, help="new orders a day")
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--paid-share", type=float, default=0.5, help="orders already paid")
    parser.add_argument(
        "--checks-per-paid",
        type=int,
        default=7,
        help="daily checks of a request: the seller's answer (~2 days) and the refund "
        "(typically 1-10 days, DOMAIN.md)",
    )
    parser.add_argument("--actions-per-case", type=int, default=6, help="ACTIONS_PER_ORDER")
    parser.add_argument("--actions-per-check", type=int, default=2, help="detail + chat")
    parser.add_argument("--min-seconds", type=float, default=3.0, help="[pacing] min_seconds")
    parser.add_argument("--jitter-seconds", type=float, default=2.0)
    parser.add_argument("--peak", type=float, default=2.0, help="a day's work in 12 hours")
    parser.add_argument("--headroom", type=float, default=1.5, help="CPU kept free")
    args = parser.parse_args(argv)
    rows = plan(json.loads(args.results.read_text()), args)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
