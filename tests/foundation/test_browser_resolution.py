"""The browser is chosen in the documented order and launched with the documented flags."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.domain.errors import ConfigError
from flows.browser import launch as browser
from flows.browser.launch import BrowserSource, launch_options, resolve_browser


def _fake_exe(tmp_path: Path, name: str) -> Path:
    exe = tmp_path / name
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    return exe


def test_explicit_setting_wins_over_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    _fake_exe(tmp_path, "chromium")
    mine = _fake_exe(tmp_path, "my-chrome")
    choice = resolve_browser(str(mine))
    assert choice.source is BrowserSource.SETTING
    assert choice.executable == mine


def test_system_chromium_found_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    exe = _fake_exe(tmp_path, "google-chrome")
    choice = resolve_browser(None)
    assert choice.source is BrowserSource.SYSTEM
    assert choice.executable == exe


def test_falls_back_to_playwright_managed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    choice = resolve_browser(None)
    assert choice.source is BrowserSource.PLAYWRIGHT
    assert "executable_path" not in launch_options(choice)


def test_bad_setting_names_the_path_and_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_browser("/nonexistent/chromium")
    text = str(caught.value)
    assert "/nonexistent/chromium" in text
    assert "ORDER_ASSISTANT_BROWSER" in text
    assert "apt-get install -y chromium" in text


@pytest.mark.parametrize("root", [True, False])
def test_no_sandbox_only_as_root(monkeypatch: pytest.MonkeyPatch, root: bool) -> None:
    monkeypatch.setattr(browser, "running_as_root", lambda: root)
    options = launch_options(browser.BrowserChoice(BrowserSource.SYSTEM, Path("/x/chromium")))
    assert ("--no-sandbox" in options["args"]) is root
    assert "--disable-background-networking" in options["args"]
    assert "--disable-component-update" in options["args"]
    assert options["executable_path"] == "/x/chromium"
    assert options["headless"] is True


def test_headed_and_slow_mo_for_people_watching() -> None:
    options = launch_options(
        browser.BrowserChoice(BrowserSource.PLAYWRIGHT, None), headless=False, slow_mo=250
    )
    assert options["headless"] is False
    assert options["slow_mo"] == 250


def test_running_as_root_matches_euid() -> None:
    assert browser.running_as_root() is (os.geteuid() == 0)
