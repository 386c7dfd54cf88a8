"""The real ``order-assistant`` CLI as a subprocess against a mock portal, for these tests.

The environment is what a user or cron would give it: the portal URL, the accounts (their
passwords in the environment, never on the command line), a data dir of its own, no
config file, and the portal's simulated time as ``ORDER_ASSISTANT_NOW``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mock_site.server import MockPortal

CLI = [sys.executable, "-m", "assistant"]
#: Short time-outs keep a hung page from costing half a minute each time.
TIMEOUT_MS = "4000"


@dataclass
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __str__(self) -> str:
        return (
            f"$ order-assistant {' '.join(self.args)} -> {self.returncode}\n"
            f"--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"
        )


@dataclass
class Cli:
    server: MockPortal
    data_dir: Path
    accounts: list[dict[str, str]]
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    def environment(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_ASSISTANT_")}
        if "ORDER_ASSISTANT_BROWSER" in os.environ:
            env["ORDER_ASSISTANT_BROWSER"] = os.environ["ORDER_ASSISTANT_BROWSER"]
        listed = [{"username": a["email"], "password": a["password"]} for a in self.accounts]
        env.update(
            {
                "ORDER_ASSISTANT_PORTAL_URL": self.server.url,
                "ORDER_ASSISTANT_ACCOUNTS": json.dumps(listed),
                "ORDER_ASSISTANT_DATA_DIR": str(self.data_dir),
                "ORDER_ASSISTANT_CONFIG": str(self.data_dir.parent / "no-config.toml"),
                "ORDER_ASSISTANT_TIMEOUT_MS": TIMEOUT_MS,
                "ORDER_ASSISTANT_NOW": self.server.state()["now"],
                "COLUMNS": "200",
            }
        )
        env.update(self.extra)
        env.update(extra)
        return env

    def popen(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        """Start a command in its own process group (a kill then takes its browser too)."""
        return subprocess.Popen(
            [*CLI, *args],
            env=self.environment(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def __call__(self, *args: str, timeout: float = 180, **extra: str) -> Result:
        done = subprocess.run(
            [*CLI, *args],
            env=self.environment(**extra),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Result(tuple(args), done.returncode, done.stdout, done.stderr)
