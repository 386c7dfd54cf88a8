"""Memory and CPU of a process tree from /proc (Linux; no psutil needed).

RSS summed over the tree counts pages shared between Chromium's processes once per
process, so it overstates the real footprint; PSS (``smaps_rollup``) splits shared pages
between their users and sums to what the tree really holds. Both are reported; the
target is checked against the RSS sum (the stricter one).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


class Proc(NamedTuple):
    """One process as ``/proc/<pid>/stat`` shows it."""

    name: str
    ppid: int
    cpu: float  #: user+sys seconds, reaped children included
    own: float  #: user+sys seconds of the process alone


def _stat(pid: int) -> Proc | None:
    """One process (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode(errors="replace")
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is state (field 3); utime..cstime are fields 14-17
    own = sum(int(v) for v in fields[11:13]) / CLK_TCK
    reaped = sum(int(v) for v in fields[13:15]) / CLK_TCK
    return Proc(name, int(fields[1]), own + reaped, own)


def own_cpu(pid: int) -> float | None:
    """CPU seconds (user+sys) of the process itself, its reaped children left out."""
    proc = _stat(pid)
    return proc.own if proc is not None else None


def tree(root: int, exclude: Iterable[int] = ()) -> dict[int, Proc]:
    """Every live descendant of ``root`` (and root), minus the subtrees of ``exclude``."""
    children: dict[int, list[int]] = {}
    info: dict[int, Proc] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        proc = _stat(pid)
        if proc is None:
            continue
        info[pid] = proc
        children.setdefault(proc.ppid, []).append(pid)
    skip = set(exclude)
    found: dict[int, Proc] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in skip or pid not in info:
            continue
        found[pid] = info[pid]
        todo.extend(children.get(pid, []))
    return found


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def tree_cpu(root: int, exclude: Iterable[int] = ()) -> float:
    """CPU seconds (user+sys, incl. reaped children) of the tree's live processes."""
    return sum(proc.cpu for proc in tree(root, exclude).values())


@dataclass
class Sampler:
    """Samples the tree's memory in a background thread; ``peak_*`` after ``stop()``."""

    root: int = field(default_factory=os.getpid)
    exclude: tuple[int, ...] = ()
    interval: float = 0.1
    pss_every: int = 5
    peak_rss: int = 0
    peak_pss: int = 0
    peak_procs: int = 0
    #: PSS in MB by kind of process (``kind_of``) at the peak of ``peak_pss``.
    peak_by_kind: dict[str, float] = field(default_factory=dict)
    #: Per process seen: (kind, the last CPU seconds read): the CPU of processes that
    #: are gone by the end (a browser closed with its run) is still known.
    last_cpu: dict[int, tuple[str, float]] = field(default_factory=dict)
    samples: int = 0
    names: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.is_set():
            procs = tree(self.root, self.exclude)
            self.names.update(proc.name for proc in procs.values())
            for pid, proc in procs.items():
                # Asked again each time: a renderer forked from the zygote reads as one
                # until it has set its own command line.
                kind = kind_of(pid, proc.name)
                if kind == "chromium:?" and pid in self.last_cpu:
                    kind = self.last_cpu[pid][0]
                self.last_cpu[pid] = (kind, proc.own)
            self.peak_rss = max(self.peak_rss, sum(rss_bytes(p) for p in procs))
            self.peak_procs = max(self.peak_procs, len(procs))
            if self.samples % self.pss_every == 0:
                by_pid = {pid: pss_bytes(pid) for pid in procs}
                if sum(by_pid.values()) > self.peak_pss:
                    self.peak_pss = sum(by_pid.values())
                    kinds: dict[str, float] = {}
                    for pid, pss in by_pid.items():
                        kind = kind_of(pid, procs[pid].name)
                        kinds[kind] = kinds.get(kind, 0.0) + pss / 2**20
                    self.peak_by_kind = kinds
            self.samples += 1
            self._stop.wait(self.interval)

    def cpu_by_kind(self, before: dict[int, float] | None = None) -> dict[str, float]:
        """CPU seconds by kind of process, as last seen (minus ``before``, per pid)."""
        out: dict[str, float] = {}
        for pid, (kind, cpu) in self.last_cpu.items():
            out[kind] = out.get(kind, 0.0) + cpu - (before or {}).get(pid, 0.0)
        return out

    def start(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Sampler:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def descendants_named(root: int, needles: tuple[str, ...]) -> set[str]:
    """Names of live descendants of ``root`` containing any of ``needles``."""
    return {
        proc.name
        for pid, proc in tree(root).items()
        if pid != root and any(n in proc.name.lower() for n in needles)
    }


def kind_of(pid: int, name: str) -> str:
    """python, node (the Playwright driver), or chromium:<type> (browser, renderer, gpu...).

    Chromium rewrites its command line into one space-separated string, so the flags are
    split on spaces as well as NULs.
    """
    lowered = name.lower()
    if "node" in lowered:
        return "node driver"
    if "chrom" not in lowered and "headless" not in lowered:
        return name
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            args = handle.read().replace(b"\0", b" ").decode(errors="replace").split()
    except OSError:
        return "chromium:?"
    if not args:  # exiting (a zombie has no command line): not known from here
        return "chromium:?"
    ptype = next((a.split("=", 1)[1] for a in args if a.startswith("--type=")), "browser")
    if ptype == "utility":
        sub = next((a.split("=", 1)[1] for a in args if a.startswith("--utility-sub-type=")), "")
        ptype = f"utility ({sub.rsplit('.', 1)[-1]})" if sub else "utility"
    return f"chromium:{ptype}"


def pss_by_kind(root: int, exclude: Iterable[int] = ()) -> dict[str, tuple[int, float]]:
    """What the tree holds now, by kind of process: (processes, PSS in MB)."""
    out: dict[str, tuple[int, float]] = {}
    for pid, proc in tree(root, exclude).items():
        kind = kind_of(pid, proc.name)
        count, mb = out.get(kind, (0, 0.0))
        out[kind] = (count + 1, mb + pss_bytes(pid) / 2**20)
    return out
