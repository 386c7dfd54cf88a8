"""The one way tests run ``order-assistant``: in-process for input checks, as a process
for everything that needs a browser, a signal, a kill or a lock.

- ``invoke(*args, env=...)`` runs the Typer app in this process with Typer's ``CliRunner``:
  usage, bad input and read-only commands, at no process start-up cost;
- ``run_cli(*args, env=...)`` and ``start_cli(...)`` run ``python -m assistant`` as a user
  or cron would;
- ``Assistant`` binds either to one test's data dir and mock portal: the portal URL, its
  accounts, its simulated clock (``ORDER_ASSISTANT_NOW``, read again before each command,
  so ``portal.advance(days=3)`` then ``assistant("run")`` is "three days later, cron runs
  the assistant"), and the journal read back with sqlite3, the way an operator would.

All return the same ``Result``. The environment is always built from scratch: no
``ORDER_ASSISTANT_*`` variable of the developer's shell leaks in, except the browser CI
provides.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.browser.sessions import new_key
from mock_site.server import MockPortal

#: The CLI as a user runs it.
CLI = (sys.executable, "-m", "assistant")
#: The one time-out policy: how long any one CLI command may take before the test calls it
#: hung. A browser command takes seconds; a fault campaign step with hangs, retries and a
#: loaded 2-core machine a minute or two. Only a hang ever reaches it, so generous is free.
COMMAND_TIMEOUT = 240.0
#: How long a killed command may take to be reaped.
REAP_TIMEOUT = 30.0
#: Environment passed through from outside: the browser CI provides.
PASS_THROUGH = ("ORDER_ASSISTANT_BROWSER",)
#: Page time-outs short enough that a hung page costs seconds, not half a minute (the
#: reliability tests, which hang pages on purpose).
SHORT_PAGE_TIMEOUT = {"ORDER_ASSISTANT_TIMEOUT_MS": "4000"}
#: The mock portals' flood defence is off unless a test turns it on, and then the test
#: sets the pace it is about: pacing off by default keeps the suite fast.
NO_PACING = {
    "ORDER_ASSISTANT_PACING__MIN_SECONDS": "0",
    "ORDER_ASSISTANT_PACING__JITTER_SECONDS": "0",
    "ORDER_ASSISTANT_PACING__PER_HOUR": "0",
    "ORDER_ASSISTANT_PACING__PORTAL_PER_MINUTE": "0",  # the distributed mode's portal limit
}
#: Wide enough that tables do not wrap.
COLUMNS = "250"

Env = Mapping[str, str | None]


@dataclass(frozen=True)
class Result:
    """A finished CLI command, in-process or not."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __str__(self) -> str:  # shown by pytest when an assertion on it fails
        return (
            f"$ order-assistant {' '.join(self.args)} -> {self.returncode}\n"
            f"--- stdout\n{self.stdout[-5000:]}\n--- stderr\n{self.stderr[-5000:]}"
        )


def environment(env: Env = {}) -> dict[str, str]:  # noqa: B006 (never mutated)
    """This process's environment without ``ORDER_ASSISTANT_*`` (but the browser), then
    ``env``; a ``None`` value removes the variable."""
    built = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_ASSISTANT_")}
    built.update({k: os.environ[k] for k in PASS_THROUGH if k in os.environ})
    built["COLUMNS"] = COLUMNS
    for key, value in env.items():
        if value is None:
            built.pop(key, None)
        else:
            built[key] = value
    return built


def run_cli(*args: str, env: Env = {}, timeout: float = COMMAND_TIMEOUT) -> Result:  # noqa: B006
    """``order-assistant ARGS`` as a process, waited for."""
    done = subprocess.run(
        [*CLI, *args],
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(tuple(args), done.returncode, done.stdout, done.stderr)


def start_cli(*args: str, env: Env = {}) -> subprocess.Popen[str]:  # noqa: B006
    """Start a command in its own process group (so a kill takes its browser too)."""
    return subprocess.Popen(
        [*CLI, *args],
        env=environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_tree(process: subprocess.Popen[str]) -> None:
    """SIGKILL the command and everything it started (Playwright driver, Chromium)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def _process_state_kept() -> Iterator[None]:
    """Put back what an in-process command may change for the whole process: the root
    logger (the CLI points it at its stderr) and the environment (CliRunner restores only
    what it set itself)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    environ = dict(os.environ)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        os.environ.clear()
        os.environ.update(environ)


def invoke(*args: str, env: Env = {}) -> Result:  # noqa: B006
    """``order-assistant ARGS`` in this process (Typer's ``CliRunner``), in the environment
    ``run_cli`` would give it. For usage, bad input and read-only commands only: no
    browser, signal or lock. An unexpected exception shows as its traceback on stderr,
    as it would from a process."""
    from typer.testing import CliRunner

    from assistant.cli.main import app

    # CliRunner only sets what it is given: unset this process's own settings too.
    wanted = environment(env)
    changes: dict[str, str | None] = {k: None for k in os.environ if k not in wanted}
    changes.update({k: v for k, v in wanted.items() if os.environ.get(k) != v})
    with _process_state_kept():
        result = CliRunner().invoke(app, list(args), env=changes, catch_exceptions=True)
    stderr = result.stderr
    if result.exc_info is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return Result(tuple(args), result.exit_code, result.stdout, stderr)


@dataclass
class Assistant:
    """``order-assistant`` for one test: its data dir, a mock portal and the portal's clock.

    ``accounts=None`` signs in as the portal's current first account (``USERNAME`` and
    ``PASSWORD``, read before each command: a test may reset to another scenario); a list
    gives ``ORDER_ASSISTANT_ACCOUNTS`` instead. ``env`` is the test's own additions.
    """

    server: MockPortal | None
    data_dir: Path
    accounts: list[dict[str, str]] | None = None
    env: dict[str, str] = field(default_factory=dict)
    started: list[subprocess.Popen[str]] = field(default_factory=list)
    #: This test's key for the saved sessions (a test machine has no keyring).
    session_key: str = field(default_factory=new_key)

    def environment(self, **extra: str | None) -> dict[str, str]:
        """The command's settings: data dir, no config file, the portal, then ``extra``."""
        env: dict[str, str | None] = {
            "ORDER_ASSISTANT_DATA_DIR": str(self.data_dir),
            "ORDER_ASSISTANT_CONFIG": str(self.data_dir.parent / "no-config.toml"),
            "ORDER_ASSISTANT_SESSION_KEY": self.session_key,
            **NO_PACING,
        }
        if self.server is not None:
            env["ORDER_ASSISTANT_PORTAL_URL"] = self.server.url
            if self.accounts is None:
                first = self.server.portal.scenario.accounts[0]
                env["ORDER_ASSISTANT_USERNAME"] = first.email
                env["ORDER_ASSISTANT_PASSWORD"] = first.password
            else:
                listed = [
                    {"username": a["email"], "password": a["password"]} for a in self.accounts
                ]
                env["ORDER_ASSISTANT_ACCOUNTS"] = json.dumps(listed)
        env.update(self.env)
        if self.server is not None:
            env["ORDER_ASSISTANT_NOW"] = self.server.state()["now"]
        env.update(extra)
        return environment(env)

    def __call__(self, *args: str, timeout: float = COMMAND_TIMEOUT, **extra: str | None) -> Result:
        """Run a command as a process and wait for it."""
        return run_cli(*args, env=self.environment(**extra), timeout=timeout)

    def invoke(self, *args: str, **extra: str | None) -> Result:
        """Run a command in this process (input checks and read-only commands only)."""
        return invoke(*args, env=self.environment(**extra))

    def start(self, *args: str, **extra: str | None) -> subprocess.Popen[str]:
        """Start a command (killed at teardown if still running)."""
        process = start_cli(*args, env=self.environment(**extra))
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen[str]) -> None:
        """SIGKILL the command and its browser, and reap it."""
        kill_tree(process)
        process.communicate(timeout=REAP_TIMEOUT)

    def kill_started(self) -> None:
        """Teardown: kill whatever this test started and left running."""
        for process in self.started:
            if process.poll() is None:
                self.kill(process)

    # -- the journal, read the way an operator would (sqlite3), never through our code --
    @property
    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    def query(self, sql: str, *params: object) -> list[sqlite3.Row]:
        if not self.journal_path.exists():
            return []
        db = sqlite3.connect(f"file:{self.journal_path}?mode=ro", uri=True, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            # A journal a running command has only just created has no tables yet.
            if "no such table" in str(exc):
                return []
            raise
        finally:
            db.close()

    def events(self, order_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT e.kind, e.payload FROM events e JOIN cases c ON c.id = e.case_id"
            " WHERE c.order_id = ? ORDER BY e.id",
            order_id,
        )
        return [
            {"kind": r["kind"], **json.loads(r["payload"])}
            for r in rows
            if kind is None or r["kind"] == kind
        ]

    def case_status(self, order_id: str) -> str | None:
        rows = self.query("SELECT status FROM cases WHERE order_id = ?", order_id)
        return rows[0]["status"] if rows else None
