"""``order-assistant doctor``, ``--version``, ``--help`` and ``mock-portal`` without its extra.

Only the doctor that launches a browser runs as a process; the rest are answered before
any browser and run in-process.
"""

from __future__ import annotations

import json
import sys

import pytest

from assistant import __version__
from flows.browser.sessions import new_key
from tests.support.cli import invoke, run_cli


def test_version() -> None:
    result = invoke("--version")
    assert result.returncode == 0, result
    assert __version__ in result.stdout


def test_help_documents_exit_codes() -> None:
    result = invoke("--help")
    assert result.returncode == 0, result
    assert "Exit codes" in result.stdout
    assert "doctor" in result.stdout


@pytest.mark.browser
def test_doctor_launches_the_browser() -> None:
    result = run_cli("doctor", "--json")
    assert result.returncode == 0, result
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["headless launch"]["ok"] is True
    assert "Chromium" in checks["headless launch"]["detail"]
    # No keyring and no key here: said, with the consequence and the fix.
    assert "every run signs in again" in checks["session key"]["detail"], checks
    assert "240 an hour" in checks["pacing"]["detail"], checks  # the safe default


@pytest.mark.browser
def test_doctor_names_the_session_key_by_its_id_only() -> None:
    key = new_key()
    result = run_cli("doctor", "--json", env={"ORDER_ASSISTANT_SESSION_KEY": key})
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    shown = checks["session key"]["detail"]
    assert shown.startswith("from the environment (id ") and key not in result.stdout, shown


def test_doctor_rejects_a_missing_browser_with_the_fix() -> None:
    result = invoke("doctor", env={"ORDER_ASSISTANT_BROWSER": "/nonexistent"})
    assert result.returncode == 2, result
    assert "/nonexistent" in result.stdout
    assert "ORDER_ASSISTANT_BROWSER" in result.stdout


def test_bad_config_value_is_a_usage_error() -> None:
    result = invoke("doctor", env={"ORDER_ASSISTANT_PORTAL_URL": "ftp://portal.example"})
    assert result.returncode == 2, result
    assert "portal_url" in result.stderr
    assert "http://" in result.stderr


@pytest.mark.parametrize("missing", ["starlette", "uvicorn", "jinja2"])
def test_mock_portal_without_its_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # `import missing` now fails
    result = invoke("mock-portal", "--port", "9")
    assert result.returncode == 2, result
    assert missing in result.stderr, result
    assert "pip install 'order-assistant[mock]'" in result.stderr, result
    assert "Traceback" not in result.stderr, result
