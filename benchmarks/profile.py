"""Where a batch's time goes: py-spy over the product's ``run`` (issue 16).

Two recordings of the same batch (``benchmarks.batch``, 1 context, pacing off), each in a
process of its own under ``py-spy record --format raw``:
- *wall*: every sample, idle ones included (``--idle``), so a function's inclusive share
  is the share of the batch's wall time spent in it, waiting on the browser included;
- *Python CPU*: only samples holding the GIL (``--gil``): what Python itself burns.
The collapsed stacks are folded into the product's own functions (``assistant.*``,
``flows.*``) by inclusive share, and the hottest frames by own share.

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


def run_profile(orders: int) -> dict[str, Any]:
    """Both recordings of one batch of ``orders``, folded."""
    with tempfile.TemporaryDirectory(prefix="oa-bench-prof-") as tmp:
        out: dict[str, Any] = {"orders": orders}
        for mode in ("wall", "cpu"):
            raw = Path(tmp) / f"{mode}.txt"
            record(orders, mode, raw)
            out[mode] = fold(raw)
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
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
