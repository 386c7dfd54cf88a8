"""`plan`, `orders` and the secrets a run must never leak."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import Assistant
from tests.support.orders import SCENARIO_ORDER
from tests.support.portal import ALL_SKINS, buyer_messages, requests_of, set_faults

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.browser
@pytest.mark.scenario("awaiting_shipment")
def test_plan_of_a_live_order_clicks_nothing(portal: PortalHandle, assistant: Assistant) -> None:
    result = assistant("plan", SCENARIO_ORDER, "--json")
    assert result.returncode == 0, result
    (report,) = result.json()
    kinds = [action["kind"] for action in report["plan"]["actions"]]
    assert kinds == ["request_cancellation", "message_seller"], kinds
    assert report["done"] == []
    order = portal.order_state(SCENARIO_ORDER)
    assert order["state"] == "awaiting_shipment"
    assert requests_of(portal, SCENARIO_ORDER) == []
    assert buyer_messages(portal, SCENARIO_ORDER) == []
    assert order["actions"] == []
    assert assistant.query("SELECT * FROM cases") == []  # a plan is not a case


def test_plan_from_an_order_file(assistant: Assistant) -> None:
    order_file = ROOT / "fixtures" / "orders" / "awaiting_shipment.json"
    result = assistant.invoke("plan", "--order-file", str(order_file), "--json")
    assert result.returncode == 0, result
    plan = result.json()
    assert plan["order_id"] == SCENARIO_ORDER
    assert plan["actions"][0]["kind"] == "request_cancellation"
    human = assistant.invoke("plan", "--order-file", str(order_file))
    assert human.returncode == 0, human
    assert "request_cancellation" in human.stdout


@pytest.mark.browser
def test_orders_lists_the_accounts_orders(portal: PortalHandle, assistant: Assistant) -> None:
    result = assistant("orders", "--json")
    assert result.returncode == 0, result
    listed = {entry["order_id"]: entry for entry in result.json()}
    mine = {
        order_id: order
        for order_id, order in portal.state()["orders"].items()
        if order["account"] == portal.email
    }
    assert set(listed) == set(mine)  # every order of this account, none of the other's
    for order_id, entry in listed.items():
        assert entry["status_label"] == mine[order_id]["label"], order_id


@pytest.mark.browser
@pytest.mark.scenario("awaiting_shipment")
def test_secrets_never_leak(portal: PortalHandle, assistant: Assistant) -> None:
    password = portal.password
    result = assistant("-vv", "--log-format", "json", "cancel", SCENARIO_ORDER)
    assert result.returncode == 0, result
    assert password not in result.stdout and password not in result.stderr
    log_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert log_lines, "-vv logs something"
    for line in log_lines:
        assert isinstance(json.loads(line), dict), line  # one JSON object per line

    secret = password.encode()
    files = [p for p in assistant.data_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert secret not in path.read_bytes(), path
    journal_mode = stat.S_IMODE(assistant.journal_path.stat().st_mode)
    assert journal_mode == 0o600, oct(journal_mode)
    logins = list((assistant.data_dir / "logins").glob("*.json"))
    assert logins, "the login state is saved for the next run"
    for path in logins:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


#: The "Contact seller" link's text per locale, renamed by a fault below.
CONTACT_SELLER = {"en": "Contact seller", "es": "Contactar con el vendedor"}


@pytest.mark.browser
@pytest.mark.scenario("awaiting_shipment")
@pytest.mark.parametrize("portal_skin", ALL_SKINS)
def test_probe_checks_every_page_and_changes_nothing(
    portal: PortalHandle, assistant: Assistant
) -> None:
    before = portal.order_state(SCENARIO_ORDER)

    result = assistant("probe", "--json")

    assert result.returncode == 0, result
    report = result.json()
    assert report["ok"] is True
    assert [s["name"] for s in report["steps"]] == [
        "sign in", "orders list", "order card", "order detail", "chat"
    ]
    assert all(s["missing"] == [] for s in report["steps"]), report
    assert report["profile"] == ("mock-en" if portal.skin == "accessible" else portal.locale)
    assert portal.order_state(SCENARIO_ORDER) == before  # nothing submitted, nothing sent


@pytest.mark.browser
@pytest.mark.scenario("awaiting_shipment")
@pytest.mark.parametrize("portal_skin", ALL_SKINS)
def test_probe_names_a_renamed_control_and_exits_3(
    portal: PortalHandle, assistant: Assistant
) -> None:
    renamed = CONTACT_SELLER[portal.locale]
    set_faults(portal, [{"path": ".*", "replace": {renamed: "Chat now"}}])

    result = assistant("probe", SCENARIO_ORDER)

    assert result.returncode == 3, result
    assert "MISSING" in result.stdout and renamed in result.stdout, result
    assert "profile" in result.stderr  # what to do next
    assert requests_of(portal, SCENARIO_ORDER) == []
