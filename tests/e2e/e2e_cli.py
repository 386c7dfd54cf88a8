"""End-to-end helpers: the real ``order-assistant`` CLI as a subprocess against the mock portal.

Every command runs as a user or a scheduler would run it: ``python -m assistant ...`` with
the portal URL, the scenario's credentials, a fresh data dir per test and no config file.
The assistant's clock follows the portal's simulated clock (``ORDER_ASSISTANT_NOW``), read
again before each command, so ``portal.advance(days=3)`` then ``cli("run")`` is "three days
later, cron runs the assistant".
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mock_site.pytest_plugin import PortalHandle

CLI = [sys.executable, "-m", "assistant"]
#: Environment the tests pass through from the outside (which browser CI provides).
PASS_THROUGH = ("ORDER_ASSISTANT_BROWSER",)
#: Generous bound for one CLI command; a browser command takes a few seconds.
COMMAND_TIMEOUT = 120


@dataclass
class Result:
    """A finished CLI command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __str__(self) -> str:  # shown by pytest when an assertion on it fails
        return (
            f"$ order-assistant {' '.join(self.args)} -> {self.returncode}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


@dataclass
class Assistant:
    """Runs ``order-assistant`` commands for one test, on the test's data dir and portal."""

    portal: PortalHandle
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    started: list[subprocess.Popen[str]] = field(default_factory=list)

    def environment(self, **extra: str | None) -> dict[str, str]:
        """The command's environment: ours, the portal's current time, then ``extra``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_ASSISTANT_")}
        env.update({k: os.environ[k] for k in PASS_THROUGH if k in os.environ})
        env.update(
            {
                # The scenario's first account, read now: a test may reset to another one.
                "ORDER_ASSISTANT_PORTAL_URL": self.portal.url,
                "ORDER_ASSISTANT_USERNAME": self.portal.email,
                "ORDER_ASSISTANT_PASSWORD": self.portal.password,
                "ORDER_ASSISTANT_DATA_DIR": str(self.data_dir),
                "COLUMNS": "250",  # tables unwrapped, as in a wide terminal
            }
        )
        env.update(self.env)
        env["ORDER_ASSISTANT_NOW"] = self.portal.state()["now"]
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def __call__(
        self, *args: str, timeout: float = COMMAND_TIMEOUT, **extra_env: str | None
    ) -> Result:
        done = subprocess.run(
            [*CLI, *args],
            env=self.environment(**extra_env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Result(tuple(args), done.returncode, done.stdout, done.stderr)

    def start(self, *args: str, **extra_env: str | None) -> subprocess.Popen[str]:
        """Start a command in its own process group (so a kill takes its browser too)."""
        process = subprocess.Popen(
            [*CLI, *args],
            env=self.environment(**extra_env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen[str]) -> None:
        """SIGKILL the command and everything it started (Playwright driver, Chromium)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)

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


# -- the portal as the tests see it -------------------------------------------------------
def set_faults(portal: PortalHandle, faults: list[dict[str, Any]]) -> None:
    """Install faults through the control API (``[]`` clears them)."""
    response = httpx.post(f"{portal.url}/__mock__/faults", json={"faults": faults}, timeout=10)
    response.raise_for_status()


def requests_of(portal: PortalHandle, order_id: str) -> list[dict[str, Any]]:
    """The cancellation requests the portal recorded for the order (accepted or refused)."""
    requests: list[dict[str, Any]] = portal.order_state(order_id)["cancellation_requests"]
    return requests


def buyer_messages(portal: PortalHandle, order_id: str) -> list[str]:
    """What the seller received from the buyer about the order."""
    messages = portal.order_state(order_id)["messages"]
    return [m["text"] for m in messages if m["author"] == "buyer"]


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``check`` (a cheap control-API or journal read) until true, bounded."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)  # allowed: bounded polling of a control-API read, no page involved


def scenario_from(name: str, **order_changes: Any) -> dict[str, Any]:
    """A bundled scenario as a dict, its first order changed (``seller={...}`` etc.)."""
    from mock_site.scenario import SCENARIO_DIR

    data: dict[str, Any] = json.loads((SCENARIO_DIR / f"{name}.json").read_text("utf-8"))
    data["name"] = f"{name}-e2e"
    data["orders"][0].update(order_changes)
    return data
