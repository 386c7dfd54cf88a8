"""Planning from an order file: the fixtures, clear errors, and the table for people."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from assistant.app.plan_file import OrderFileError, load_order, plan_from_file, render_plan
from assistant.domain.models import ActionKind, CaseStatus

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "orders"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.name)
def test_fixtures_are_valid_orders(path: Path) -> None:
    order = load_order(path)
    plan = plan_from_file(path, "cancel", NOW)
    assert plan.order_id == order.order_id


def test_awaiting_shipment_fixture_plans_request_and_message() -> None:
    plan = plan_from_file(FIXTURES / "awaiting_shipment.json", "cancel", NOW)
    assert plan.kinds == (ActionKind.REQUEST_CANCELLATION, ActionKind.MESSAGE_SELLER)
    assert plan.case_status is CaseStatus.WAITING_SELLER
    fraud = plan_from_file(FIXTURES / "awaiting_shipment.json", "fraud", NOW)
    assert fraud.actions[0].report_supplier is True


def test_change_order_needs_details(tmp_path: Path) -> None:
    path = FIXTURES / "awaiting_shipment.json"
    with pytest.raises(ValueError, match="details"):
        plan_from_file(path, "change_order", NOW)
    plan = plan_from_file(path, "change_order", NOW, details="size M")
    assert plan.kinds[0] is ActionKind.MESSAGE_SELLER


def test_unknown_intent() -> None:
    with pytest.raises(ValueError, match="choose one of"):
        plan_from_file(FIXTURES / "awaiting_shipment.json", "refund", NOW)


def test_bad_field_names_file_and_field(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "awaiting_shipment.json").read_text())
    data["items"][0]["quantity"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(OrderFileError) as info:
        load_order(path)
    message = str(info.value)
    assert "bad.json" in message and "items.0.quantity" in message and "greater than 0" in message
    assert info.value.field == "items.0.quantity"


def test_naive_datetime_in_file(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "awaiting_shipment.json").read_text())
    data["placed_at"] = "2026-11-20T09:15:00"
    path = tmp_path / "naive.json"
    path.write_text(json.dumps(data))
    with pytest.raises(OrderFileError, match=r"placed_at.*timezone"):
        load_order(path)


def test_malformed_json_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"order_id": ')
    with pytest.raises(OrderFileError, match=r"broken.json.*not valid JSON.*line 1"):
        load_order(path)
    with pytest.raises(OrderFileError, match="cannot read"):
        load_order(tmp_path / "missing.json")


def test_render_plan_prints_actions_and_coupons() -> None:
    plan = plan_from_file(FIXTURES / "awaiting_shipment.json", "cancel", NOW)
    out = io.StringIO()
    render_plan(plan, Console(file=out, width=200))
    text = out.getvalue()
    assert "request_cancellation" in text and "report supplier: No" in text
    assert "coupon platform" in text and "next check" in text
