"""``order-assistant doctor``: say which browser will run and prove it starts.

A scheduled job that fails at 3 a.m. because Chromium is missing helps nobody; doctor
checks the same resolution and launch the real runs use, and says how to fix what fails.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass, field
from importlib.metadata import version

from assistant.app.settings import Settings
from assistant.domain.errors import ConfigError
from flows.browser.launch import BrowserChoice, resolve_browser, try_launch


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
        choice = resolve_browser(settings.browser)
    except ConfigError as exc:
        report.checks.append(Check("browser", False, str(exc)))
        return report
    report.checks.append(Check("browser", True, choice.describe()))
    report.checks.append(_try_launch(settings, choice))
    report.checks.append(
        Check(
            "config",
            True,
            f"portal {settings.portal_url}; {len(settings.all_accounts())} account(s); "
            f"data in {settings.data_dir}",
        )
    )
    return report


def _try_launch(settings: Settings, choice: BrowserChoice) -> Check:
    result = try_launch(choice, timeout_ms=settings.timeout_ms * 2)
    return Check("headless launch", result.ok, result.detail)
