"""``order-assistant run`` with nothing due: start-up time, and proof that no browser starts."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import procstat

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "order-assistant"
BROWSERS = ("chrom", "headless", "node")
# The same entry point, plus a report of whether Playwright was imported at all.
PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write("
    "'PLAYWRIGHT_IMPORTED=%s\\n' % any(m.startswith('playwright') for m in sys.modules)))\n"
    "sys.argv = ['order-assistant', 'run']\n"
    "from assistant.cli.main import main\n"
    "main()\n"
)


CPU: list[float] = []  # user+sys of each finished child, in order (load-independent)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_ASSISTANT_")}
    env.update(
        XDG_STATE_HOME=str(home / "state"),  # empty data dir: no journal yet
        XDG_CONFIG_HOME=str(home / "config"),  # no config file
        HOME=str(home),
    )
    return env


def _watch(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str, str, set[str]]:
    """Run ``cmd``, polling its descendants every ms for a browser or driver process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    seen: set[str] = set()
    while proc.poll() is None:
        seen |= procstat.descendants_named(proc.pid, BROWSERS)
        time.sleep(0.001)
    elapsed = time.perf_counter() - t
    out, err = proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return elapsed, proc.returncode, out, err, seen


def run_nothing_due(reps: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="oa-bench-cli-") as tmp:
        env = _env(Path(tmp))
        cmd = [str(CLI), "run"]
        _watch(cmd, env)  # warm the page cache / .pyc files
        times, cpus, seen_all, outputs = [], [], set(), set()
        for _ in range(reps):
            elapsed, code, out, err, seen = _watch(cmd, env)
            if code != 0:
                raise RuntimeError(f"order-assistant run exited {code}: {err or out}")
            times.append(elapsed)
            cpus.append(CPU[-1])
            seen_all |= seen
            outputs.add(out.strip())
        _, code, out, err, seen = _watch([sys.executable, "-c", PROBE], env)
        seen_all |= seen
        imported = "PLAYWRIGHT_IMPORTED=True" in err
        # what the interpreter alone costs, for comparison
        bare = [_watch([sys.executable, "-c", "pass"], env)[0] for _ in range(reps)]
    return {
        "median_s": statistics.median(times),
        "samples": times,
        "cpu_median_s": statistics.median(cpus),
        "python_bare_median_s": statistics.median(bare),
        "output": sorted(outputs),
        "browser_processes_seen": sorted(seen_all),
        "playwright_imported": imported,
        "browser_started": bool(seen_all) or imported,
    }


def run_suite() -> dict[str, Any]:
    """The test suite once, ``pytest -n 2`` (slow; only with --suite)."""
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - t
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    return {"seconds": elapsed, "exit_code": proc.returncode, "summary": tail}
