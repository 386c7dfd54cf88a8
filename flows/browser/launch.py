"""One place that decides which Chromium to run and how to launch it.

The CLI, the runner, the benchmarks and the test suite all launch the browser through
this module, so the resolution order (explicit setting, then a system Chromium/Chrome,
then Playwright's own download) and the launch flags are the same everywhere.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from assistant.domain.errors import ConfigError

#: Executables looked up on PATH, most specific first.
SYSTEM_CANDIDATES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
)

#: Flags that keep Chromium from phoning home: on a closed network its background
#: connections are refused by the dozen and only slow the start-up down.
BASE_ARGS = ("--disable-background-networking", "--disable-component-update")

INSTALL_HINT = (
    "install one (Debian/Ubuntu: `apt-get install -y chromium`), run "
    "`python -m playwright install chromium`, or set ORDER_ASSISTANT_BROWSER to a "
    "Chromium/Chrome executable"
)


class BrowserSource(StrEnum):
    """Why a browser was chosen: the user said so, it was on PATH, or Playwright has it."""

    SETTING = "setting"
    SYSTEM = "system"
    PLAYWRIGHT = "playwright"


@dataclass(frozen=True)
class BrowserChoice:
    """The executable to launch (None: Playwright's managed build) and why it was picked."""

    source: BrowserSource
    executable: Path | None

    def describe(self) -> str:
        """One line for people: which browser and why."""
        if self.source is BrowserSource.SETTING:
            return f"{self.executable} (from ORDER_ASSISTANT_BROWSER / config)"
        if self.source is BrowserSource.SYSTEM:
            return f"{self.executable} (system Chromium found on PATH)"
        return "Playwright-managed Chromium (no system browser found)"


def resolve_browser(setting: str | os.PathLike[str] | None = None) -> BrowserChoice:
    """Pick the browser: explicit setting, else system Chromium/Chrome, else Playwright's.

    An explicit setting that does not point to an executable file is an error, never a
    silent fallback: the user asked for that browser.
    """
    if setting:
        path = Path(setting).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise ConfigError(
                f"browser executable {str(path)!r} does not exist or is not executable",
                key="ORDER_ASSISTANT_BROWSER",
                fix=f"point it to an installed Chromium (e.g. /usr/bin/chromium) or unset it; "
                f"otherwise {INSTALL_HINT}",
            )
        return BrowserChoice(BrowserSource.SETTING, path)
    for name in SYSTEM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return BrowserChoice(BrowserSource.SYSTEM, Path(found))
    return BrowserChoice(BrowserSource.PLAYWRIGHT, None)


def running_as_root() -> bool:
    """Chromium refuses to start its sandbox as root; only then is --no-sandbox needed."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def launch_options(
    choice: BrowserChoice,
    *,
    headless: bool = True,
    slow_mo: float = 0,
    extra_args: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Keyword arguments for ``BrowserType.launch`` (also used by pytest-playwright)."""
    args = [*BASE_ARGS, *extra_args]
    if running_as_root():
        args.append("--no-sandbox")
    options: dict[str, Any] = {"headless": headless, "args": args}
    if slow_mo:
        options["slow_mo"] = slow_mo
    if choice.executable is not None:
        options["executable_path"] = str(choice.executable)
    return options


@dataclass(frozen=True)
class LaunchCheck:
    """Whether one headless launch worked, and what to tell the user either way."""

    ok: bool
    detail: str


def try_launch(choice: BrowserChoice, *, timeout_ms: float) -> LaunchCheck:
    """Launch the chosen browser headless once and render a page (``order-assistant doctor``).

    The same options the real runs use; a failure says how to fix it for this kind of
    browser instead of raising.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                **launch_options(choice, headless=True), timeout=timeout_ms
            )
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
        return LaunchCheck(False, f"failed: {first_line}. Fix: {hint}")
    return LaunchCheck(True, f"ok, Chromium {browser_version}")
