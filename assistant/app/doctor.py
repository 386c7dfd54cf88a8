"""``order-assistant doctor``: say which browser will run and prove it starts.

A scheduled job that fails at 3 a.m. because Chromium is missing helps nobody; doctor
checks the same resolution and launch the real runs use, and says how to fix what fails.
With ``browser_ws_endpoint`` set it names that browser server (its address, never the
token) and connects to it the way the runs will.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass, field
from importlib.metadata import version

from assistant.app.settings import Settings
from assistant.domain.errors import ConfigError
from flows.browser.launch import BrowserChoice, resolve_browser, try_launch
from flows.browser.sessions import KEY_ENV, resolve_key


@dataclass
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str


@dataclass
class DoctorReport:
    """All checks; healthy when every one passed."""

    checks: list[Check] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(check.ok for check in self.checks)


def run_checks(settings: Settings) -> DoctorReport:
    """Versions, browser resolution, one headless launch, configuration sanity."""
    report = DoctorReport()
    report.checks.append(Check("python", True, f"{platform.python_version()} ({sys.executable})"))
    report.checks.append(Check("playwright", True, version("playwright")))
    try:
        if settings.browser_ws_endpoint is not None:
            report.checks.extend(_remote(settings))
        else:
            choice = resolve_browser(settings.browser)
            report.checks.append(Check("browser", True, choice.describe()))
            report.checks.append(_try_launch(settings, choice))
    except ConfigError as exc:
        report.checks.append(Check("browser", False, str(exc)))
        return report
    report.checks.append(
        Check(
            "config",
            True,
            f"portal {settings.portal_url}; {len(settings.all_accounts())} account(s); "
            f"data in {settings.data_dir}",
        )
    )
    report.checks.append(_sessions())
    report.checks.append(_pacing(settings))
    return report


def _sessions() -> Check:
    """Where the session key comes from: without one, each run signs in again."""
    try:
        key = resolve_key(create=False)
    except ConfigError as exc:
        return Check("session key", False, str(exc))
    if key is None:
        return Check(
            "session key",
            True,
            f"none: sessions are kept in memory only, so every run signs in again (and "
            f"`login` cannot keep one); set {KEY_ENV} (`order-assistant session key`)",
        )
    return Check("session key", True, f"from the {key.source} (id {key.key_id})")


def _pacing(settings: Settings) -> Check:
    pace = settings.pacing
    if not (pace.min_seconds or pace.jitter_seconds or pace.per_hour):
        return Check("pacing", True, "off: nothing limits how fast an account acts")
    cap = f"at most {pace.per_hour} an hour" if pace.per_hour else "no hourly cap"
    return Check(
        "pacing",
        True,
        f"{pace.min_seconds:g}-{pace.min_seconds + pace.jitter_seconds:g} s between two "
        f"actions of an account, {cap}",
    )


def _remote(settings: Settings) -> list[Check]:
    """The remote browser, named by its address (never its token), asked and connected to."""
    from assistant.app.workers import remote_browser_for
    from flows.browser.remote import try_remote

    remote = remote_browser_for(settings)
    assert remote is not None
    where = f"remote: the browser server at {remote.address} (ORDER_ASSISTANT_BROWSER_WS_ENDPOINT)"
    result = try_remote(remote)
    return [Check("browser", True, where), Check("remote browser", result.ok, result.detail)]


def _try_launch(settings: Settings, choice: BrowserChoice) -> Check:
    result = try_launch(choice, timeout_ms=settings.timeout_ms * 2)
    return Check("headless launch", result.ok, result.detail)
