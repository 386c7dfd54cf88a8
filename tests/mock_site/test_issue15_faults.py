"""Issue 15's fault kinds and hostile content, at HTTP level on both skins: the request the
portal silently drops, JSON calls failing or slow, longer masks and slow modal fades,
session expiry from the control API, labels and per-kind counts of what fired."""

from __future__ import annotations

import re

from mock_site_client import MAIN, Buyer, scenario_data
from test_real_skin_http import DETAIL, LIST, RealBuyer

OTHER = "8211279521850049"


def install(buyer, *faults):
    response = buyer.http.post("/__mock__/faults", json={"faults": list(faults)})
    assert response.status_code == 200, response.text
    return response


def counts(buyer) -> dict[str, int]:
    return buyer.http.get("/__mock__/state").json()["fired_counts"]


# -- a request silently dropped -------------------------------------------------------------


def test_a_dropped_request_leaves_the_order_cancellable_with_nothing_pending():
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    buyer.cancel(reason="I ordered the wrong product(s)", report="no")
    assert buyer.state()["state"] == "cancellation_requested"
    drop = {"path": f"^/orders/{MAIN}$", "drop_request": MAIN, "label": "drop-1", "times": 1}
    install(buyer, drop)
    html = buyer.page(f"/orders/{MAIN}")
    assert ">Awaiting shipment<" in html and 'data-open="cancel"' in html
    assert "rejected" not in html.lower()  # no note: a rejection without one looks the same
    order = buyer.state()
    assert order["state"] == "awaiting_shipment" and order["requested_at"] is None
    (request,) = order["cancellation_requests"]
    assert request["accepted"] and request["dropped_at"] == "2026-06-20T12:00:00+00:00"
    state = buyer.http.get("/__mock__/state").json()
    assert state["fired_counts"] == {"request_dropped": 1}
    assert state["fired"][0]["label"] == "drop-1" and state["fired"][0]["applied"] is True
    # the portal takes a new request afterwards
    buyer.cancel(reason="I ordered the wrong product(s)", report="no")
    assert buyer.state()["state"] == "cancellation_requested"


def test_drop_with_nothing_pending_fires_but_is_not_applied():
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    install(buyer, {"path": "^/orders$", "drop_request": MAIN, "times": 1})
    buyer.page("/orders")
    fired = buyer.http.get("/__mock__/fired").json()
    assert fired["counts"] == {"request_dropped": 1} and fired["fired"][0]["applied"] is False


def test_the_seller_side_drop_by_scenario_and_by_control_api():
    data = scenario_data("awaiting_shipment")
    data["orders"][0]["seller"] = {"on_cancel": "drop", "answer_after_hours": 30}
    buyer = Buyer(data)
    buyer.login()
    buyer.cancel(reason="I ordered the wrong product(s)", report="no")
    buyer.advance(hours=29)
    assert buyer.state()["state"] == "cancellation_requested"
    buyer.advance(hours=2)
    assert buyer.state()["state"] == "awaiting_shipment"
    buyer.cancel(reason="I ordered the wrong product(s)", report="no")
    answer = buyer.http.post("/__mock__/drop_request", json={"order": MAIN}).json()
    assert answer == {"order": MAIN, "applied": True}
    assert buyer.state()["state"] == "awaiting_shipment"
    assert counts(buyer) == {"request_dropped": 1}
    assert buyer.http.post("/__mock__/drop_request", json={"order": "1"}).status_code == 400


def test_seller_event_drop_is_the_same_kind():
    buyer = Buyer("cancellation_requested")
    buyer.login()
    install(buyer, {"path": "^/orders$", "seller": {"order": MAIN, "do": "drop"}})
    buyer.page("/orders")
    assert buyer.state()["state"] == "awaiting_shipment"
    assert counts(buyer) == {"request_dropped": 1}


# -- JSON calls failing or slow --------------------------------------------------------------


def test_real_skin_json_call_fails_with_an_mtop_answer_then_recovers():
    buyer = RealBuyer()
    buyer.login()
    install(buyer, {"api": "detail", "status": 503, "times": 1, "label": "detail-503"})
    failed = buyer.http.get(f"{DETAIL}?orderId={MAIN}")
    assert failed.status_code == 503
    body = failed.json()
    assert body["ret"][0].startswith("FAIL_SYS_SERVICE_UNAVAILABLE::")
    assert body["api"] == "mtop.aliexpress.trade.buyer.order.detail"
    assert buyer.http.get(f"{DETAIL}?orderId={MAIN}").status_code == 200
    assert buyer.http.get(LIST).status_code == 200  # another call is not hit
    state = buyer.http.get("/__mock__/state").json()
    assert state["fired_counts"] == {"json_http_503_before": 1}
    assert state["fired"][0]["label"] == "detail-503"


def test_real_skin_operation_fails_after_the_change():
    buyer = RealBuyer()
    buyer.login()
    install(buyer, {"api": "operation", "status": 502, "when": "after", "method": "POST"})
    response = buyer.post(
        "/h5/mtop.aliexpress.trade.buyer.order.operation/1.0/",
        orderId=MAIN,
        operation="CANCEL_ORDER",
        reasonId="0",
        report="no",
    )
    assert response.status_code == 502
    assert buyer.portal.snapshot()["orders"][MAIN]["state"] == "cancellation_requested"
    assert counts(buyer) == {"json_http_502_after": 1}


def test_slow_json_is_its_own_kind_and_api_faults_follow_the_skin():
    buyer = RealBuyer()
    buyer.login()
    install(buyer, {"api": "list", "delay_ms": 50, "times": 2})
    for _ in range(3):
        assert buyer.http.get(LIST).status_code == 200
    assert counts(buyer) == {"json_slow": 2}
    accessible = Buyer("awaiting_shipment")
    accessible.login()
    install(accessible, {"api": "list", "status": 500}, {"api": "detail", "status": 500})
    response = accessible.get("/api/orders")
    assert response.status_code == 500 and response.json() == {"error": "Injected fault"}
    assert accessible.get(f"/orders/{MAIN}").status_code == 200  # no detail call here
    assert counts(accessible) == {"json_http_500_before": 1}


# -- masks and fades ---------------------------------------------------------------------------


def test_mask_and_fade_faults_reach_the_page_they_match():
    buyer = RealBuyer()
    buyer.login()
    install(buyer, {"path": "^/p/order/detail", "mask_ms": 2500, "fade_ms": 1500, "times": 1})
    html = buyer.page(f"/p/order/detail.html?orderId={MAIN}")
    assert '"maskMs": 2500' in html and '"fadeMs": 1500' in html
    assert 'data-nuisance="overlay" data-ms="2500"' in html  # the page mask too
    again = buyer.page(f"/p/order/detail.html?orderId={MAIN}")
    assert "maskMs" not in again and 'data-nuisance="overlay"' not in again
    assert counts(buyer) == {"slow_mask": 1}  # one fault, named by its first effect
    accessible = Buyer("awaiting_shipment")
    accessible.login()
    install(accessible, {"path": f"^/orders/{MAIN}$", "fade_ms": 3000})
    html = accessible.page(f"/orders/{MAIN}")
    assert "animation: mock-fade-in 3000ms" in html
    assert counts(accessible) == {"slow_modal": 1}
    install(accessible, {"path": f"^/orders/{MAIN}$", "mask_ms": 4000})
    assert 'data-testid="loading-overlay"' in accessible.page(f"/orders/{MAIN}")


def test_fault_validation():
    buyer = Buyer("awaiting_shipment")
    bad = [
        {"drop_request": MAIN},  # no path or api
        {"path": "x", "mask_ms": 10, "status": 500},
        {"path": "x", "api": "nope"},
        {"path": "x", "drop_request": "12"},
    ]
    for fault in bad:
        assert buyer.http.post("/__mock__/faults", json=[fault]).status_code == 400, fault


# -- session expiry ------------------------------------------------------------------------------


def test_control_api_expires_one_accounts_sessions():
    buyer = Buyer("demo")
    buyer.login(password="demo-pass-2026")
    other = Buyer.__new__(Buyer)
    other.app, other.portal = buyer.app, buyer.portal
    from starlette.testclient import TestClient

    other.http = TestClient(buyer.app, follow_redirects=False)
    other.login(email="other@example.com", password="other-pass-2026")
    answer = buyer.http.post("/__mock__/sessions/expire", json={"email": "buyer@example.com"})
    assert answer.json() == {"expired": 1, "email": "buyer@example.com"}
    assert buyer.get("/orders").status_code == 303
    assert other.get("/orders").status_code == 200
    fired = buyer.http.get("/__mock__/fired").json()
    assert fired["counts"] == {"expire_sessions": 1} and fired["fired"][0]["via"] == "control"


def test_real_skin_expiry_sends_the_next_page_to_the_sign_in_port():
    buyer = RealBuyer(login_port=8999)
    buyer.login()
    install(buyer, {"path": "^/p/order/index", "expire_sessions": True, "times": 1})
    response = buyer.http.get("http://testserver/p/order/index.html")
    assert response.status_code == 303
    assert response.headers["location"].startswith("http://testserver:8999/passport/login.htm?")
    assert counts(buyer) == {"expire_sessions": 1}


# -- hostile content ---------------------------------------------------------------------------


def test_hostile_titles_store_chat_and_injected_card_on_the_accessible_skin():
    buyer = Buyer("hostile")
    buyer.login()
    html = buyer.page(f"/orders/{MAIN}")
    injected = re.search(r'<article class="order-card" aria-label="Order (\d+)"', html)
    assert injected and injected.group(1) == OTHER
    assert f'href="/orders/{OTHER}?cancel=1">Cancel order</a>' in html
    assert "IPX7 Waterproof Cancel order" in html and "Sunrise Electronics Store Submit" in html
    assert f"Order ID: {MAIN}" in html  # the other order's title names this one
    thread = buyer.page(f"/p/message/index.html?fromCode=order&orderId={MAIN}")
    texts = re.findall(r'data-testid="message-text">([^<]+)<', thread)
    assert texts == ["Cancel order", "Send", "Submit", "No"]
    store = buyer.page("/store/sunrise-electronics-store-submit")
    assert "Sunrise Electronics Store Submit" in store


def test_an_action_through_the_injected_card_is_recorded_on_the_other_order_only():
    buyer = Buyer("hostile")
    buyer.login()
    buyer.cancel(OTHER, reason="I ordered the wrong product(s)", report="no")
    assert buyer.state(OTHER)["state"] == "cancellation_requested"
    assert len(buyer.state(OTHER)["cancellation_requests"]) == 1
    assert buyer.state(MAIN)["cancellation_requests"] == []
    assert buyer.state(MAIN)["state"] == "awaiting_shipment"


def test_hostile_content_on_the_real_skin():
    buyer = RealBuyer("hostile")
    buyer.login()
    fields = buyer.http.get(f"{DETAIL}?orderId={MAIN}").json()["data"]["data"]
    detail = fields[f"pc_om_detail_{MAIN}"]["fields"]
    assert detail["injectedCard"]["orderId"] == OTHER
    assert detail["injectedCard"]["storeName"] == "No"
    assert detail["storeName"] == "Sunrise Electronics Store Submit"
    cards = buyer.http.get(LIST).json()["data"]["data"]
    titles = [line["productTitle"] for c in cards.values() for line in c["fields"]["orderLines"]]
    assert "No" in titles and f"Order ID: {MAIN}" in titles
    other = buyer.http.get(f"{DETAIL}?orderId={OTHER}").json()["data"]["data"]
    assert "injectedCard" not in other[f"pc_om_detail_{OTHER}"]["fields"]


def test_hostile_defaults_off_and_scenario_wide_switch():
    plain = Buyer("awaiting_shipment")
    plain.login()
    assert 'class="order-card"' not in plain.page(f"/orders/{MAIN}")
    data = scenario_data("awaiting_shipment")
    data["hostile"] = {"store": "Cancel order"}
    buyer = Buyer(data)
    assert buyer.state()["store"] == "Cancel order"
    data["orders"][0]["hostile"] = {"other": "1111111111111111"}
    from mock_site.scenario import ScenarioError, parse_scenario

    try:
        parse_scenario(data)
    except ScenarioError as err:
        assert "hostile.other" in str(err)
    else:
        raise AssertionError("an unknown hostile.other was accepted")
