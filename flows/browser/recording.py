"""Record a run as evidence and as a replayable fixture: HAR, trace, screenshots, meta.

One folder per run: ``session.har`` (every request and answer), ``trace.zip`` (open with
``playwright show-trace``), ``screenshots/`` (one after every action), ``journal-before``
(the journal as the run found it, so a replay starts from the same history) and
``meta.json``. The sign-in happens in a separate, unrecorded context; whatever secret
still reaches a file (cookies, CSRF tokens, a password typed on a re-sign-in) is
scrubbed before the run ends.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.domain.errors import ConfigError
from flows.browser.scrub import SecretSet, scrub_har, scrub_zip

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

log = logging.getLogger(__name__)

HAR = "session.har"
TRACE = "trace.zip"
META = "meta.json"
JOURNAL_BEFORE = "journal-before.sqlite3"


class Recording:
    """A run being recorded into ``folder`` (which must be new or empty)."""

    def __init__(
        self,
        folder: Path,
        *,
        portal_url: str,
        command: str,
        orders: Iterable[str],
        now: datetime,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if folder.exists() and any(folder.iterdir()):
            raise ConfigError(
                f"recording folder {str(folder)!r} is not empty",
                key="--record",
                fix="choose a new folder; recordings are never overwritten",
            )
        self.folder = folder
        self.screenshots = folder / "screenshots"
        # Evidence holds orders, addresses and chats: the user's only (folders 0700).
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)
        self.screenshots.mkdir(exist_ok=True, mode=0o700)
        self.meta: dict[str, Any] = {
            "assistant_version": version("order-assistant"),
            "portal_url": portal_url,
            "command": command,
            "orders": list(orders),
            "started": datetime.now(UTC).isoformat(),
            "now": now.isoformat(),
            **(extra or {}),
        }
        self._shots = 0

    def context_options(self) -> dict[str, Any]:
        """Options for ``browser.new_context``: record a HAR with bodies embedded."""
        return {"record_har_path": str(self.folder / HAR), "record_har_content": "embed"}

    def start(self, context: BrowserContext) -> None:
        """Begin the trace (screenshots and DOM snapshots)."""
        context.tracing.start(screenshots=True, snapshots=True, title="order-assistant run")

    def stop(self, context: BrowserContext) -> None:
        """Write the trace; call before the context closes (which writes the HAR)."""
        context.tracing.stop(path=self.folder / TRACE)

    def keep_journal(self, journal_path: Path) -> None:
        """Copy the journal as it is before the run (a consistent SQLite backup)."""
        target = self.folder / JOURNAL_BEFORE
        if not journal_path.exists():
            return
        with sqlite3.connect(journal_path) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        target.chmod(0o600)

    def next_screenshot(self, label: str) -> Path:
        """Where the next screenshot after an action goes (numbered in the order taken)."""
        self._shots += 1
        return self.screenshots / f"{self._shots:03d}-{label}.png"

    def finish(self, secrets: Iterable[str], outcome: list[dict[str, Any]]) -> None:
        """Scrub every artifact, then write meta.json (after all contexts are closed)."""
        known = SecretSet(secrets)
        har = self.folder / HAR
        if har.exists():
            scrub_har(har, known)
        trace = self.folder / TRACE
        if trace.exists():
            scrub_zip(trace, known)
        self.meta.update({"ended": datetime.now(UTC).isoformat(), "outcome": outcome})
        (self.folder / META).write_text(known.scrub(json.dumps(self.meta, indent=2)), "utf-8")
        make_private(self.folder)


def make_private(folder: Path) -> None:
    """Folders 0700 and files 0600 under ``folder`` (what the driver and the screenshots
    wrote with the process's umask), as the journal and the saved logins are."""
    folder.chmod(0o700)
    for path in folder.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def load_meta(folder: Path) -> dict[str, Any]:
    """The meta.json of a recording, with a clear error when the folder is not one."""
    path = folder / META
    if not path.is_file() or not (folder / HAR).is_file():
        raise ConfigError(
            f"{str(folder)!r} is not a recording (no {META} / {HAR})",
            key="DIR",
            fix="pass a folder made by `order-assistant --record DIR cancel ...`",
        )
    meta: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return meta


def copy_journal(folder: Path, data_dir: Path) -> None:
    """Start a replay from the journal the recorded run found."""
    data_dir.mkdir(parents=True, exist_ok=True)
    source = folder / JOURNAL_BEFORE
    if source.exists():
        shutil.copy(source, data_dir / "journal.sqlite3")
