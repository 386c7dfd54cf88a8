"""The seeded fault campaign: the real CLI against the mock portal, faults, kills, invariants.

For each generated case (see ``generate.py``): start (or reuse) a portal of the seed's skin,
reset it to the case's scenario, run ``cancel`` commands and a few ``run``s with the
portal's clock moved between them, each with labelled faults installed and sometimes
SIGKILLed at a planned point; after every command check the invariants
(``invariants.py``) and that each planned fault the command reached fired and the planned
kill happened; after a disrupted command run again until the journal is healthy (the
recovery time); finally clear the faults and pending challenges, and allow at most
``CLEAN_RUNS`` runs for every asked order to reach its expected next state.

    python -m tests.reliability.campaign --cases 1000 [--first-seed 1000] [--workers 2] [--json]
        [--results soak.jsonl]

With ``--results`` every finished seed is appended to a JSON-lines file as it ends, and
seeds already in the file are not run again: a soak of many hours can be stopped (or lose
its machine) and resumed by the same command, and its figures are those of the whole file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mock_site.faults import kind_of
from mock_site.server import MockPortal
from tests.reliability.generate import (
    EVIDENCE,
    MODAL_STEPS,
    SKINS,
    CaseSpec,
    Step,
    generate,
)
from tests.reliability.invariants import (
    CANCEL_KEYS,
    JournalView,
    check_events,
    check_journal,
    check_portal,
    check_progress,
    check_settled,
)
from tests.support.cli import COMMAND_TIMEOUT, SHORT_PAGE_TIMEOUT, Assistant, kill_tree
from tests.support.portal import set_faults
from tests.support.servers import PostgresServer, postgres_server

MAX_RECOVERY_RUNS = 3
#: Fault-free runs an asked order may take to reach its expected next state.
CLEAN_RUNS = 2


@dataclass
class Outcome:
    """One command's result."""

    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    killed: bool = False
    #: Whether a journal existed when the command started (`run` never creates one).
    journal_before: bool = True


@dataclass
class Figures:
    """What the campaign prints at the end (for all skins, and per skin in ``by_skin``)."""

    scenarios: int = 0
    commands: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    kills: Counter[str] = field(default_factory=Counter)
    unreached: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    step_retries: int = 0
    settled_attempts: int = 0
    recoveries: list[float] = field(default_factory=list)
    exit_codes: Counter[int] = field(default_factory=Counter)
    by_skin: dict[str, Figures] = field(default_factory=dict)

    def merge(self, other: Figures, skin: str | None = None) -> None:
        self.scenarios += other.scenarios
        self.commands += other.commands
        self.faults.update(other.faults)
        self.kills.update(other.kills)
        self.unreached.update(other.unreached)
        self.violations.extend(other.violations)
        self.step_retries += other.step_retries
        self.settled_attempts += other.settled_attempts
        self.recoveries.extend(other.recoveries)
        self.exit_codes.update(other.exit_codes)
        if skin is not None:
            self.by_skin.setdefault(skin, Figures()).merge(other)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenarios_run": self.scenarios,
            "commands_run": self.commands,
            "faults_fired": dict(sorted(self.faults.items())),
            "faults_total": sum(self.faults.values()),
            "kills": dict(sorted(self.kills.items())),
            "kills_total": sum(self.kills.values()),
            "planned_not_reached": dict(sorted(self.unreached.items())),
            "invariant_violations": len(self.violations),
            "step_retries": self.step_retries,
            "interrupted_attempts_settled": self.settled_attempts,
            "recoveries": len(self.recoveries),
            "recovery_mean_s": round(statistics.mean(self.recoveries), 1)
            if self.recoveries
            else None,
            "recovery_worst_s": round(max(self.recoveries), 1) if self.recoveries else None,
            "exit_codes": {str(k): v for k, v in sorted(self.exit_codes.items())},
            **(
                {"by_skin": {k: v.as_dict() for k, v in sorted(self.by_skin.items())}}
                if self.by_skin
                else {}
            ),
        }

    def record(self) -> dict[str, Any]:
        """One seed's raw figures, for a results file (``from_record`` reads it back)."""
        return {
            "scenarios": self.scenarios,
            "commands": self.commands,
            "faults": dict(self.faults),
            "kills": dict(self.kills),
            "unreached": dict(self.unreached),
            "violations": self.violations,
            "step_retries": self.step_retries,
            "settled_attempts": self.settled_attempts,
            "recoveries": self.recoveries,
            "exit_codes": {str(k): v for k, v in self.exit_codes.items()},
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Figures:
        return cls(
            scenarios=record["scenarios"],
            commands=record["commands"],
            faults=Counter(record["faults"]),
            kills=Counter(record["kills"]),
            unreached=Counter(record["unreached"]),
            violations=list(record["violations"]),
            step_retries=record["step_retries"],
            settled_attempts=record["settled_attempts"],
            recoveries=list(record["recoveries"]),
            exit_codes=Counter({int(k): v for k, v in record["exit_codes"].items()}),
        )

    def report(self) -> str:
        lines = self._lines()
        for skin, figures in sorted(self.by_skin.items()):
            lines += [f"--- {skin}", *("  " + line for line in figures._lines())]
        lines += [f"  VIOLATION {v}" for v in self.violations]
        return "\n".join(lines)

    def _lines(self) -> list[str]:
        d = self.as_dict()
        return [
            f"scenarios run:            {d['scenarios_run']} ({d['commands_run']} CLI commands)",
            f"faults fired:             {d['faults_total']}",
            *(f"  {kind:<24}{n}" for kind, n in d["faults_fired"].items()),
            f"kills (SIGKILL):          {d['kills_total']}",
            *(f"  {point:<24}{n}" for point, n in d["kills"].items()),
            f"planned, not reached:     {d['planned_not_reached'] or 0}",
            f"invariant violations:     {d['invariant_violations']}",
            f"retries:                  {d['step_retries']} step retries, "
            f"{d['interrupted_attempts_settled']} interrupted attempts settled by re-observing",
            f"recoveries:               {d['recoveries']} "
            f"(mean {d['recovery_mean_s']} s, worst {d['recovery_worst_s']} s)",
            f"exit codes:               {d['exit_codes']}",
        ]


class CaseRun:
    """Runs one generated case against a mock portal, collecting figures and violations."""

    def __init__(
        self, server: MockPortal, spec: CaseSpec, data_dir: Path, journal_url: str | None = None
    ) -> None:
        self.server = server
        self.spec = spec
        self.data_dir = data_dir
        self.figures = Figures(scenarios=1)
        self.cli = Assistant(
            server, data_dir / "data", list(spec.scenario["accounts"]), dict(SHORT_PAGE_TIMEOUT)
        )
        #: The journal the commands write: the SQLite file, or a PostgreSQL database.
        self.journal: Path | str = self.cli.journal_path
        if journal_url is not None:
            self.cli.env["ORDER_ASSISTANT_JOURNAL_URL"] = journal_url
            self.journal = journal_url
        self.log: list[str] = []

    # -- the CLI ---------------------------------------------------------------------------
    def command(self, step: Step) -> Outcome:
        """Run a command (``-v``: the flow logs the cancel dialog's steps), SIGKILLing it
        (and its browser) at the step's kill point; then check its planned faults and kill."""
        before = JournalView.read(self.journal, may_be_empty=True)
        journal_before = _journal_exists(self.journal)
        started = time.monotonic()
        process = self.cli.start(*step.command, "--json", "-v")
        out: list[str] = []
        err: list[str] = []
        readers = [
            threading.Thread(target=_read_lines, args=(stream, lines), daemon=True)
            for stream, lines in ((process.stdout, out), (process.stderr, err))
        ]
        for reader in readers:
            reader.start()
        killed = False
        if step.kill is not None:
            killed = self._kill_when(process, step, started, err)
        try:
            process.wait(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._kill(process)
            process.wait()
            self.violation(f"{' '.join(step.command)} did not finish in {COMMAND_TIMEOUT}s")
        for reader in readers:
            reader.join(timeout=10)
        stdout, stderr = "".join(out), "".join(err)
        outcome = Outcome(
            step.command,
            process.returncode,
            stdout,
            stderr,
            time.monotonic() - started,
            killed,
            journal_before,
        )
        self.figures.commands += 1
        if killed:
            self.figures.kills[step.kill or "?"] += 1
        self.figures.exit_codes[process.returncode] += 1
        self.figures.step_retries += stderr.count("retrying ")
        self.figures.settled_attempts += stderr.count("settled an interrupted")
        self.log.append(
            f"{' '.join(step.command)}{f' [kill {step.kill}]' if step.kill else ''}"
            f" -> {process.returncode} ({outcome.seconds:.1f}s)"
        )
        self.check_plan(step, outcome, before)
        return outcome

    def _kill_when(
        self, process: subprocess.Popen[str], step: Step, started: float, err: list[str]
    ) -> bool:
        counts = self.server.portal.counts
        cancels, messages = counts["cancel"], counts["message"]
        marker = MODAL_STEPS.get(step.kill or "")
        while process.poll() is None:
            if step.kill == "post_cancel" and counts["cancel"] > cancels:
                break
            if step.kill == "post_message" and counts["message"] > messages:
                break
            if marker is not None and any(marker in line for line in list(err)):
                break
            if step.kill == "random" and time.monotonic() - started > (step.kill_after or 0):
                break
            time.sleep(0.01)  # allowed: bounded poll of the control API and the CLI's log
        else:
            return False
        self._kill(process)
        return True

    def check_plan(self, step: Step, outcome: Outcome, before: JournalView) -> None:
        """Every planned fault the command reached fired, and the planned kill happened.

        A fault counts as reached when the journal proves the command made its target
        request (a new observation for a detail page, a new cancel or message attempt for
        the cancel, the thread and the send); a reached fault that did not fire, or a kill
        at a point the command was planned to reach that did not happen, is a violation.
        A random-moment kill may come after the command ended: counted, not a violation;
        so is a kill point an earlier command's seller took away, and an "after" fault whose
        request a "before" fault answered (``kill_points_left``, ``requests_needed``).
        """
        after = JournalView.read(self.journal, may_be_empty=True)
        events = {e["id"] for e in before.events}
        attempts = {a["id"] for a in before.attempts}
        new = [a for a in after.attempts if a["id"] not in attempts]
        evidence = {
            "observed": sum(
                1 for e in after.events if e["id"] not in events and e["kind"] == "observation"
            ),
            "cancels": sum(1 for a in new if a["action_key"] in CANCEL_KEYS),
            "messages": sum(1 for a in new if a["action_key"].startswith("message:")),
        }
        fired = {f.get("label") for f in self.server.state()["fired"]}
        what = " ".join(step.command)
        for fault in step.faults:
            if fault["label"] in fired:
                continue
            kind, target = kind_of(fault), step.aims[fault["label"]]
            if evidence[EVIDENCE[target]] >= step.requests_needed(fault["label"], fired):
                self.violation(
                    f"{what}: planned fault {fault['label']} ({kind} at {target}) was reached "
                    f"({EVIDENCE[target]}: {evidence[EVIDENCE[target]]}) but did not fire"
                )
            else:
                self.figures.unreached[kind] += 1
        if step.kill is not None and not outcome.killed:
            # Exit 3 or 75: the command stopped (a step failed, a cool-down) before the
            # point; an order the seller shipped or cancelled earlier has no dialog left.
            # Only a command that went on past the point without the kill is a violation.
            stopped = outcome.returncode in (3, 75)
            gone = step.kill not in self.spec.kill_points_left(step, fired)
            if step.kill == "random" or stopped or gone:
                self.figures.unreached[f"kill:{step.kill}"] += 1
            else:
                self.violation(
                    f"{what}: the planned kill at {step.kill} did not happen "
                    f"(exit {outcome.returncode})"
                )

    @staticmethod
    def _kill(process: subprocess.Popen[str]) -> None:
        kill_tree(process)

    def set_faults(self, faults: list[dict[str, Any]]) -> None:
        set_faults(self.server, faults)

    # -- checks ------------------------------------------------------------------------------
    def violation(self, text: str) -> None:
        self.figures.violations.append(f"seed {self.spec.seed}: {text}")

    def check(self, outcome: Outcome) -> bool:
        """The invariants after a command; True when the journal is healthy (no failed case)."""
        state = self.server.state()
        # No journal yet is right after a command killed before it wrote one, and after a
        # `run` that found none (it has nothing to do and creates nothing).
        untouched = outcome.command[0] == "run" and not outcome.journal_before
        journal = JournalView.read(self.journal, may_be_empty=outcome.killed or untouched)
        what = " ".join(outcome.command)
        for problem in [
            *journal.problems,
            *check_portal(state, self.spec.asked_ids),
            *check_journal(journal, state, interrupted=outcome.killed),
            *check_events(journal, state),
        ]:
            self.violation(f"after {what}: {problem}")
        if not outcome.killed:
            # 75: an account cools down after a captcha the campaign planted (issue 19).
            if outcome.returncode not in (0, 1, 3, 75):
                self.violation(f"{what}: exit code {outcome.returncode}: {outcome.stderr[-400:]}")
            if "Traceback (most recent call last)" in outcome.stderr:
                self.violation(f"{what}: crashed: {outcome.stderr[-600:]}")
        failed = any(c["status"] in ("failed", "new") for c in journal.cases)
        open_attempts = any(a["outcome"] is None for a in journal.attempts)
        return not (outcome.killed or failed or open_attempts or outcome.returncode == 3)

    # -- the case ----------------------------------------------------------------------------
    def run(self) -> Figures:
        self.server.reset(self.spec.scenario)
        for step in self.spec.steps:
            if step.advance_days:
                self.server.advance(days=step.advance_days)
            self.set_faults(step.faults)
            outcome = self.command(step)
            if not self.check(outcome):
                self.recover(step, time.monotonic())
            # A `cancel` refused during a cool-down (exit 75) is not asked again: it
            # journaled its orders, and the clean runs below must finish them.
            if outcome.killed and step.command[0] == "cancel":
                self.reissue(step)
        self.figures.faults.update(f["kind"] for f in self.server.state()["fired"])
        # A fault-free portal: no fault, no challenge left pending at the next sign-in.
        self.set_faults([])
        with self.server.portal.lock:
            self.server.portal.challenges.clear()
        self.server.advance(days=8)
        for clean in range(CLEAN_RUNS):
            final = self.command(Step(("run",)))
            self.check(final)
            journal = JournalView.read(self.journal)
            progress = check_progress(self.server.state(), journal, self.spec.asked_ids)
            if not progress:
                break
            if clean == CLEAN_RUNS - 1:
                for problem in progress:
                    self.violation(f"after {CLEAN_RUNS} clean runs: {problem}")
            self.server.advance(hours=1)
        for problem in check_settled(journal, self.spec.asked):
            self.violation(f"final: {problem}")
        self.check_status_json(journal)
        return self.figures

    def recover(self, step: Step, disrupted_at: float) -> None:
        """Run again (an hour later, as cron would) until the journal is healthy."""
        for _ in range(MAX_RECOVERY_RUNS):
            self.server.advance(minutes=61)  # a failed case is retried after an hour
            outcome = self.command(Step(("run",)))
            if self.check(outcome):
                self.figures.recoveries.append(time.monotonic() - disrupted_at)
                return
        self.log.append(f"not recovered after {' '.join(step.command)}")

    def reissue(self, step: Step) -> None:
        """A user whose `cancel` died asks again for the orders the journal never got.

        The orders journaled before the kill are `run`'s job; a command killed before it
        wrote anything (Python still starting) has simply not happened.
        """
        account, ids = step.command[2], step.command[3:]
        journal = JournalView.read(self.journal, may_be_empty=True)
        known = {c["order_id"] for c in journal.cases if c["account"] == account}
        missing = [i for i in ids if i not in known]
        if missing:
            self.set_faults([])
            self.check(self.command(Step(("cancel", "--account", account, *missing))))

    def check_status_json(self, journal: JournalView) -> None:
        """`status --json` (what an operator sees) agrees with the journal file."""
        done = self.cli("status", "--json")
        if done.returncode != 0:
            self.violation(f"status --json -> {done.returncode}: {done.stderr[-300:]}")
            return
        shown = {(c["account"], c["order_id"]): c["status"] for c in json.loads(done.stdout)}
        stored = {(c["account"], c["order_id"]): c["status"] for c in journal.cases}
        if shown != stored:
            self.violation(f"status --json {shown} differs from the journal {stored}")


def _read_lines(stream: Any, lines: list[str]) -> None:
    """Collect a command's output as it comes (the kill points watch its log)."""
    for line in iter(stream.readline, ""):
        lines.append(line)
    stream.close()


def start_portal(skin: str) -> MockPortal:
    """The portal a seed's skin needs (the real skin signs in on an origin of its own)."""
    family, locale = SKINS[skin]
    return MockPortal(
        "demo", skin=family, locale=locale, login_port=0 if family == "real" else None
    )


def _journal_exists(journal: Path | str) -> bool:
    """Whether a command has created the journal (the file, or the database's tables)."""
    if isinstance(journal, Path):
        return journal.exists()
    import psycopg

    with psycopg.connect(journal) as db:
        row = db.execute("SELECT to_regclass('cases') IS NOT NULL").fetchone()
    return bool(row and row[0])


def run_case(
    server: MockPortal, seed: int, postgres: PostgresServer | None = None
) -> tuple[Figures, list[str]]:
    """One seed, in a fresh data dir (and with ``postgres``, a fresh database of it as the
    journal); returns its figures and its command log."""
    spec = generate(seed)
    with tempfile.TemporaryDirectory(prefix=f"campaign-{seed}-") as tmp:
        case = CaseRun(server, spec, Path(tmp), postgres.database() if postgres else None)
        figures = case.run()
        return figures, case.log


def _load_results(path: Path, wanted: set[int], total: Figures) -> dict[int, float]:
    """Merge the seeds of ``wanted`` already in a results file; their case seconds by seed."""
    done: dict[int, float] = {}
    if not path.exists():
        return done
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # a line cut short by a stop mid-write: run it again
            continue
        if row["seed"] in wanted and row["seed"] not in done:
            done[row["seed"]] = row["seconds"]
            total.merge(Figures.from_record(row["figures"]), row["skin"])
    return done


def _append_result(path: Path, seed: int, skin: str, seconds: float, figures: Figures) -> None:
    row = {"seed": seed, "skin": skin, "seconds": round(seconds, 1), "figures": figures.record()}
    with path.open("a") as out:
        out.write(json.dumps(row, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.campaign")
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--seed", type=int, action="append", help="run only these seeds")
    parser.add_argument("--workers", type=int, default=1, help="cases run side by side")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--journal",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="the journal the commands use: the SQLite file, or a private PostgreSQL "
        "(a fresh database per seed)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="JSON-lines file each finished seed is appended to; seeds already in it are "
        "counted, not run again (resume a long soak with the same command)",
    )
    args = parser.parse_args(argv)
    seeds = args.seed or list(range(args.first_seed, args.first_seed + args.cases))
    total = Figures()
    done = _load_results(args.results, set(seeds), total) if args.results else {}
    started = time.monotonic()
    queue = [seed for seed in seeds if seed not in done]
    seconds_before = sum(done.values())
    if done:
        print(
            f"{len(done)} seeds already in {args.results}; running {len(queue)}",
            file=sys.stderr,
            flush=True,
        )
    lock = threading.Lock()
    with contextlib.ExitStack() as servers:
        postgres = servers.enter_context(postgres_server()) if args.journal == "postgres" else None
        return _run_seeds(args, queue, total, lock, postgres, started, done, seconds_before)


def _run_seeds(
    args: argparse.Namespace,
    queue: list[int],
    total: Figures,
    lock: threading.Lock,
    postgres: PostgresServer | None,
    started: float,
    done: dict[int, float],
    seconds_before: float,
) -> int:
    def worker() -> None:
        portals: dict[str, MockPortal] = {}  # one per worker and skin: never shared
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    seed = queue.pop(0)
                skin = generate(seed).skin
                if skin not in portals:
                    portals[skin] = start_portal(skin)
                began = time.monotonic()
                figures, log = run_case(portals[skin], seed, postgres)
                with lock:
                    total.merge(figures, skin)
                    if args.results:
                        _append_result(args.results, seed, skin, time.monotonic() - began, figures)
                    status = "ok" if not figures.violations else "VIOLATIONS"
                    print(
                        f"seed {seed} ({skin}): {status}; " + "; ".join(log),
                        file=sys.stderr,
                        flush=True,
                    )
                    for violation in figures.violations:
                        print(f"  {violation}", file=sys.stderr, flush=True)
        finally:
            for portal in portals.values():
                portal.stop()

    threads = [threading.Thread(target=worker) for _ in range(max(1, args.workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if done:  # a resumed soak: the time of this part, and the seeds' summed case time
        print(
            f"this part: {elapsed / 60:.1f} min; all {total.scenarios} seeds' case time "
            f"summed: {(seconds_before + elapsed) / 60:.1f} min",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps({**total.as_dict(), "seconds": round(elapsed)}, indent=2))
    else:
        print(total.report())
        print(f"wall time:                {elapsed / 60:.1f} min")
    return 1 if total.violations else 0


if __name__ == "__main__":
    sys.exit(main())
