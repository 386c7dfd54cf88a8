"""``order-assistant doctor`` and ``--version`` as a user runs them: a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant import __version__


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **env},
        timeout=120,
        check=False,
    )


def test_version() -> None:
    result = _cli("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_help_documents_exit_codes() -> None:
    result = _cli("--help")
    assert result.returncode == 0
    assert "Exit codes" in result.stdout
    assert "doctor" in result.stdout


@pytest.mark.browser
def test_doctor_launches_the_browser() -> None:
    result = _cli("doctor", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["headless launch"]["ok"] is True
    assert "Chromium" in checks["headless launch"]["detail"]


def test_doctor_rejects_a_missing_browser_with_the_fix() -> None:
    result = _cli("doctor", ORDER_ASSISTANT_BROWSER="/nonexistent")
    assert result.returncode == 2
    assert "/nonexistent" in result.stdout
    assert "ORDER_ASSISTANT_BROWSER" in result.stdout


def test_bad_config_value_is_a_usage_error() -> None:
    result = _cli("doctor", ORDER_ASSISTANT_PORTAL_URL="ftp://portal.example")
    assert result.returncode == 2
    assert "portal_url" in result.stderr
    assert "http://" in result.stderr
