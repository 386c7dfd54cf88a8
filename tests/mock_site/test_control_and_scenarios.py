"""The control API, fault injection, and scenario validation."""

import json

import pytest
from mock_site_client import MAIN, Buyer, scenario_data

from mock_site.scenario import ScenarioError, load_scenario, parse_scenario, scenario_names


def test_control_api_is_off_unless_asked_for():
    assert Buyer("demo", control_api=False).get("/__mock__/state").status_code == 404


def test_reset_by_name_and_by_body_and_clock():
    buyer = Buyer("demo")
    response = buyer.http.post("/__mock__/reset", json={"scenario": "shipped"})
    assert response.json()["scenario"] == "shipped"
    assert list(buyer.http.get("/__mock__/state").json()["orders"]) == [MAIN]
    body = scenario_data("awaiting_payment")
    body["name"] = "custom"
    assert buyer.http.post("/__mock__/reset", json=body).json()["scenario"] == "custom"
    now = buyer.http.post("/__mock__/clock", json={"days": 20}).json()["now"]
    assert now.startswith("2026-07-10T12:00")
    state = buyer.http.get("/__mock__/state").json()
    assert state["orders"][MAIN]["label"] == "Expired"
    assert buyer.http.post("/__mock__/clock", json={"weeks": 1}).status_code == 400
    assert buyer.http.post("/__mock__/clock", json={"hours": -1}).status_code == 400


def test_reset_with_a_bad_body_names_the_field():
    buyer = Buyer("demo")
    body = scenario_data("awaiting_payment")
    body["orders"][0]["id"] = "123"
    response = buyer.http.post("/__mock__/reset", json=body)
    assert response.status_code == 400 and "orders.0.id" in response.json()["error"]
    assert buyer.http.post("/__mock__/reset", json={"scenario": "nope"}).status_code == 400


def test_state_counts_requests_and_sign_ins():
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    buyer.post(f"/orders/{MAIN}/cancel", reason="Other reason(s)", report="no")
    buyer.post("/p/message/send", orderId=MAIN, text="hi")
    state = buyer.http.get("/__mock__/state").json()
    assert state["sign_ins"] == {"buyer@example.com": 1}
    assert state["requests"]["cancel"] == 1 and state["requests"]["message"] == 1
    assert state["requests"]["login_password"] == 1
    assert state["orders"][MAIN]["messages"][0]["text"] == "hi"
    assert state["now"] == "2026-06-20T12:00:00+00:00"


def test_faults_fail_or_delay_a_path():
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    faults = [
        {"path": "^/api/orders", "status": 503, "times": 1},
        {"path": "/cancel$", "method": "POST", "when": "after", "status": 502},
    ]
    assert buyer.http.post("/__mock__/faults", json={"faults": faults}).status_code == 200
    assert buyer.get("/api/orders").status_code == 503
    assert buyer.get("/api/orders").status_code == 200  # `times` used up
    response = buyer.post(f"/orders/{MAIN}/cancel", reason="Other reason(s)", report="no")
    assert response.status_code == 502
    assert buyer.state()["state"] == "cancellation_requested"  # "after": the change happened
    assert buyer.http.post("/__mock__/faults", json=[{"nope": 1}]).status_code == 400


def test_every_bundled_scenario_is_valid():
    names = scenario_names()
    for expected in (
        "awaiting_payment",
        "payment_verifying",
        "awaiting_shipment",
        "awaiting_shipment_24h",
        "cancellation_requested",
        "rejected",
        "shipped",
        "shipped_free_return",
        "shipment_canceled",
        "closed_refunding",
        "completed",
        "seller_cancelled",
        "nuisances",
        "demo",
    ):
        assert expected in names
    demo = load_scenario("demo")
    mine = [o for o in demo.orders if o.account == "buyer@example.com"]
    assert len(mine) >= 30 and len({o.state for o in mine}) == 9


def test_a_malformed_file_names_file_field_and_reason(tmp_path):
    data = scenario_data("awaiting_shipment")
    data["orders"][0]["items"][0]["qty"] = 0
    data["orders"][0]["surprise"] = True
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message
    assert "orders.0.items.0.qty" in message and "greater than or equal to 1" in message
    assert "orders.0.surprise: Extra inputs are not permitted" in message
    path.write_text("{not json")
    with pytest.raises(ScenarioError, match=r"broken\.json: line 1"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"state": "awaiting_payment"}, "an order awaiting payment has no paid_at"),
        ({"paid_at": None}, "state awaiting_shipment needs paid_at"),
        ({"account": "ghost@example.com"}, "unknown account"),
        ({"refund_days": [5, 1, 2]}, "refund_days must be increasing"),
        ({"state": "closed"}, "a closed order needs closed_reason"),
    ],
)
def test_cross_field_rules(change, reason):
    data = scenario_data("awaiting_shipment")
    data["orders"][0].update(change)
    with pytest.raises(ScenarioError, match=reason):
        parse_scenario(data)
