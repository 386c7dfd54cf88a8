"""My Orders list, its JSON, tabs, search and the other read-only pages."""

import re

import pytest
from mock_site_client import MAIN, Buyer, heading, scenario_data

from mock_site.scenario import scenario_names


def _signed_in(name="demo"):
    buyer = Buyer(name)
    buyer.login()
    return buyer


def test_tabs_carry_counts_and_the_selected_tab():
    buyer = _signed_in()
    page = buyer.page("/orders?status=to_ship")
    tabs = re.findall(r'role="tab"[^>]*aria-selected="(\w+)">([^<]+)<', page)
    assert [t[1].split(" (")[0] for t in tabs] == [
        "View All",
        "To pay",
        "To ship",
        "Shipped",
        "Processed",
    ]
    assert dict((label.split(" (")[0], sel) for sel, label in tabs)["To ship"] == "true"
    assert "View All (34)" in page
    assert 'placeholder="Order number or product"' in page and "Loading orders…" in page


def test_api_pages_ten_at_a_time_newest_first():
    buyer = _signed_in()
    seen = []
    for offset in (0, 10, 20, 30):
        data = buyer.get(f"/api/orders?offset={offset}").json()
        seen += data["orders"]
        assert data["total"] == 34
        assert data["has_more"] == (offset < 30)
    assert len(seen) == 34 and len({o["id"] for o in seen}) == 34
    dates = [buyer.portal.orders[o["id"]].spec.placed_at for o in seen]
    assert dates == sorted(dates, reverse=True)
    card = seen[0]
    assert card["date"].startswith("Jun ") and card["total"].startswith("US $")
    assert card["details_url"] == f"/orders/{card['id']}"


def test_status_filter_and_search():
    buyer = _signed_in()
    to_pay = buyer.get("/api/orders?status=to_pay").json()["orders"]
    assert {o["status"] for o in to_pay} == {"Awaiting payment", "Payment being verified"}
    by_id = buyer.get("/api/orders?q=850032").json()["orders"]
    assert [o["id"] for o in by_id] == [MAIN]
    by_title = buyer.get("/api/orders?q=water bottle").json()["orders"]
    assert by_title and all(
        "Water Bottle" in " ".join(i["title"] for i in o["items"]) for o in by_title
    )
    assert buyer.get("/api/orders?q=no-such-thing").json()["total"] == 0
    assert buyer.get("/api/orders?offset=x").status_code == 400


def test_card_buttons_by_state():
    buyer = _signed_in()
    by_status = {}
    for o in buyer.get("/api/orders?limit=50").json()["orders"]:
        by_status.setdefault(o["status"], o["buttons"])
    assert by_status["Awaiting payment"] == ["Pay now", "Cancel order", "Contact seller"]
    assert by_status["Payment being verified"] == ["Cancel order", "Contact seller"]
    assert by_status["Awaiting cancellation"] == ["Contact seller"]
    assert by_status["Awaiting delivery"] == ["Track order", "Confirm received", "Contact seller"]
    assert by_status["Shipment canceled"] == ["Track order", "Contact seller"]
    assert by_status["Completed"] == ["Write a review", "Add to cart", "Delete"]
    assert by_status["Canceled"] == ["Add to cart", "Delete"]
    assert by_status["Expired"] == ["Add to cart", "Delete"]


def test_deleted_orders_lists_closed_ones():
    buyer = _signed_in()
    assert heading(buyer.page("/orders/deleted")) == "Deleted orders"
    gone = buyer.get("/api/orders?status=deleted&limit=50").json()["orders"]
    assert {o["status"] for o in gone} == {"Canceled", "Expired"}


@pytest.mark.parametrize("name", scenario_names())
def test_every_page_of_every_order_renders(name):
    data = scenario_data(name)
    data.get("nuisances", {})["slow_ms"] = 0  # slowness has its own test
    buyer = Buyer(data)
    for account in buyer.portal.scenario.accounts:
        if account.verification or account.captcha:
            continue
        buyer.http.cookies.clear()
        buyer.login(account.email, account.password)
        buyer.page("/orders")
        for rec in buyer.portal.orders_of(account.email):
            for url in (
                f"/orders/{rec.id}",
                f"/orders/{rec.id}?tab=payment&cancel=1",
                f"/orders/{rec.id}/tracking",
                f"/p/message/index.html?fromCode=order&orderId={rec.id}",
            ):
                buyer.page(url)
        for url in ("/messages", "/refunds", "/orders/deleted", "/store/sunrise-electronics-store"):
            assert buyer.get(url).status_code in (200, 404)


def test_detail_page_info_and_price_rows():
    buyer = _signed_in("closed_refunding")
    page = buyer.page(f"/orders/{MAIN}")
    for label in (
        "Order ID:",
        "Order placed on:",
        "Payment method:",
        "Payment time:",
        "Subtotal",
        "Shipping",
        "Platform coupon",
        "Seller coupon",
        "Promo code",
        "Total",
    ):
        assert f"<dt>{label}</dt>" in page
    assert 'href="/p/message/index.html?fromCode=order&amp;orderId=8211279521850032"' in page
    assert heading(page) == "Canceled"


def test_tracking_page_of_a_failed_shipment():
    buyer = _signed_in("shipment_canceled")
    page = buyer.page(f"/orders/{MAIN}/tracking")
    assert 'role="alert">Shipment canceled<' in page
    assert "Delivery canceled" in page and "Tracking number:" in page
    buyer = _signed_in("awaiting_shipment")
    assert "This order has not been shipped yet." in buyer.page(f"/orders/{MAIN}/tracking")


def test_slow_responses_nuisance():
    import time

    buyer = _signed_in("nuisances")  # slow_ms = 300
    started = time.perf_counter()
    buyer.page("/orders")
    assert time.perf_counter() - started >= 0.3
