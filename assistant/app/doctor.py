"""``order-assistant doctor``: say which browser will run and prove it starts.

A scheduled job that fails at 3 a.m. because Chromium is missing helps nobody; doctor
checks the same resolution and launch the real runs use, and says how to fix what fails.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass, field
from importlib.metadata import version

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from assistant.app.settings import Settings
from assistant.domain.errors import ConfigError
from flows.browser.launch import BrowserChoice, BrowserSource, launch_options, resolve_browser


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
    options = launch_options(choice, headless=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(**options, timeout=settings.timeout_ms * 2)
            page = browser.new_page()
            page.set_content("<title>doctor</title><p>ok</p>")
            browser_version = browser.version
            browser.close()
    except PlaywrightError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        hint = (
            "run `python -m playwright install chromium` or set ORDER_ASSISTANT_BROWSER"
            if choice.source is BrowserSource.PLAYWRIGHT
            else "check that this Chromium starts on its own (`<path> --headless --version`)"
        )
        return Check("headless launch", False, f"failed: {first_line}. Fix: {hint}")
    return Check("headless launch", True, f"ok, Chromium {browser_version}")
