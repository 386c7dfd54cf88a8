"""JSON logs say whose each line is: the worker, and while a case runs its account, case
and order (docs/scale-out.md, "Logs"); and still no secret."""

from __future__ import annotations

import json
import os

import pytest

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import Assistant
from tests.support.orders import SCENARIO_ORDER


@pytest.mark.browser
@pytest.mark.scenario("awaiting_shipment")
def test_lines_logged_during_a_case_carry_its_account_case_and_order(
    portal: PortalHandle, assistant: Assistant
) -> None:
    result = assistant("-v", "--log-format", "json", "cancel", SCENARIO_ORDER)
    assert result.returncode == 0, result
    assert portal.password not in result.stdout + result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    (case,) = assistant.query("SELECT id FROM cases")

    # Every line names its worker: host, process and thread.
    assert all(line["worker"].startswith(f"{os.uname().nodename}:") for line in lines), lines
    during = [line for line in lines if line["logger"].startswith("flows.")]
    assert any("signing in" in line["message"] for line in during), lines
    assert any("cancel dialog" in line["message"] for line in during), lines
    for line in during:  # sign-in and the cancellation, all inside the case
        assert line["account"] == portal.email, line
        assert line["order"] == SCENARIO_ORDER, line
        assert line["case"] == str(case["id"]), line
    # Outside the case (the batch's own lines), no case is claimed.
    (batch,) = [line for line in lines if line["logger"] == "assistant.app.workers"]
    assert "order" not in batch and "case" not in batch
