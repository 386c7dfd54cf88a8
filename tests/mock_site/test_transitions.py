"""Every transition of the order state machine and every refusal, at the HTTP level."""

import pytest
from mock_site_client import MAIN, Buyer, alert_text, heading, scenario_data, status_text

from mock_site import state as st

PAID_OK = {"reason": "Other reason(s)", "report": "no"}


def _buyer(scenario, **seller):
    data = scenario_data(scenario) if isinstance(scenario, str) else scenario
    if seller:
        data["orders"][0]["seller"] = seller
    buyer = Buyer(data)
    buyer.login()
    return buyer


def _hint(html):
    import re

    return re.search(r'data-testid="status-hint">([^<]+)<', html).group(1)


# -- unpaid ---------------------------------------------------------------------------
def test_unpaid_order_cancels_at_once_with_only_a_reason():
    buyer = _buyer("awaiting_payment")
    page = buyer.page(f"/orders/{MAIN}")
    assert heading(page) == "Awaiting payment"
    assert "Do you want to submit a report" not in page and "Request order cancellation" not in page
    page = buyer.cancel(reason="I placed a duplicate order")
    assert status_text(page) == st.DONE_CANCELED and heading(page) == "Canceled"
    order = buyer.state()
    assert order["state"] == "closed" and order["closed_reason"] == "buyer_cancelled"
    assert order["refund_steps"] is None  # nothing was paid
    assert "No refund for this order." in page


def test_unpaid_cancel_needs_a_reason_from_the_list():
    buyer = _buyer("awaiting_payment")
    assert alert_text(buyer.cancel(reason="")) == st.REFUSE_NO_REASON
    assert alert_text(buyer.cancel(reason="Because")) == st.REFUSE_NO_REASON
    assert buyer.state()["state"] == "awaiting_payment"
    assert [r["accepted"] for r in buyer.state()["cancellation_requests"]] == [False, False]


def test_unpaid_order_expires_after_20_days():
    buyer = _buyer("awaiting_payment")  # placed one day before "now"
    assert "Please pay within 19 days" in _hint(buyer.page(f"/orders/{MAIN}"))
    buyer.advance(days=18, hours=23)
    assert buyer.state()["state"] == "awaiting_payment"
    buyer.advance(hours=1)
    assert buyer.state()["closed_reason"] == "expired"
    assert heading(buyer.page(f"/orders/{MAIN}")) == "Expired"


def test_pay_then_verification_then_awaiting_shipment():
    buyer = _buyer("awaiting_payment")
    response = buyer.post(f"/orders/{MAIN}/pay")
    assert buyer.state()["state"] == "payment_verifying"
    assert heading(buyer.page(response.headers["location"])) == "Payment being verified"
    buyer.advance(minutes=5)
    assert buyer.state()["state"] == "awaiting_shipment"
    assert alert_text(buyer.page(buyer.post(f"/orders/{MAIN}/pay").headers["location"]))


def test_payment_being_verified_cancels_at_once_and_refunds():
    buyer = _buyer("payment_verifying")
    assert status_text(buyer.cancel(reason="I placed a duplicate order")) == st.DONE_CANCELED
    order = buyer.state()
    assert order["closed_reason"] == "buyer_cancelled" and order["refund_steps"][0] is not None


# -- paid, awaiting shipment ----------------------------------------------------------
def test_paid_cancel_is_a_request_then_a_second_one_is_refused():
    buyer = _buyer("awaiting_shipment")
    page = buyer.page(f"/orders/{MAIN}")
    for text in (
        "Request order cancellation",
        "Extend processing time",
        'for="reason">Select here',
        "Do you want to submit a report against this supplier?",
        ">Yes<",
        ">No<",
    ):
        assert text in page
    page = buyer.cancel(**PAID_OK)
    assert status_text(page) == st.DONE_REQUESTED and heading(page) == "Awaiting cancellation"
    assert _hint(page).startswith("The seller has 15 days to respond")
    assert alert_text(buyer.cancel(**PAID_OK)) == st.REFUSE_PENDING
    requests = buyer.state()["cancellation_requests"]
    assert [(r["accepted"], r["reason"], r["report"]) for r in requests] == [
        (True, "Other reason(s)", "no"),
        (False, "Other reason(s)", "no"),
    ]
    assert buyer.portal.snapshot()["requests"]["cancel"] == 2


def test_paid_cancel_needs_reason_and_report_answer():
    buyer = _buyer("awaiting_shipment")
    assert alert_text(buyer.cancel(reason="", report="no")) == st.REFUSE_NO_REASON
    assert alert_text(buyer.cancel(reason="Other reason(s)")) == st.REFUSE_NO_REPORT
    assert alert_text(buyer.cancel(reason="Other reason(s)", report="maybe")) == st.REFUSE_NO_REPORT
    assert buyer.state()["state"] == "awaiting_shipment"


def test_report_yes_is_recorded():
    buyer = _buyer("awaiting_shipment")
    buyer.cancel(reason="The supplier refuses to ship the product(s)", report="yes")
    assert buyer.state()["cancellation_requests"][0]["report"] == "yes"


def test_seller_accepts_after_n_hours_and_the_refund_progresses():
    buyer = _buyer("awaiting_shipment")  # accepts 48 h after the request
    buyer.cancel(**PAID_OK)
    buyer.advance(hours=47)
    assert buyer.state()["state"] == "cancellation_requested"
    assert "13 days 1 hour" in _hint(buyer.page(f"/orders/{MAIN}"))
    buyer.advance(hours=1)
    order = buyer.state()
    assert order["state"] == "closed" and order["closed_reason"] == "seller_accepted"
    assert [s is not None for s in order["refund_steps"]] == [True, False, False]
    page = buyer.page(f"/orders/{MAIN}?tab=payment")
    assert page.count('data-state="done"') == 1 and page.count('data-state="pending"') == 2
    assert "Refund amount: US $" in page
    buyer.advance(days=7)
    assert all(buyer.state()["refund_steps"])
    assert buyer.page(f"/orders/{MAIN}?tab=payment").count('data-state="done"') == 3


def test_seller_silence_closes_in_the_buyers_favour_at_15_days():
    buyer = _buyer("awaiting_shipment", on_cancel="ignore")
    buyer.cancel(**PAID_OK)
    buyer.advance(days=14, hours=23)
    assert buyer.state()["state"] == "cancellation_requested"
    buyer.advance(hours=1)
    assert buyer.state()["closed_reason"] == "seller_timeout"
    assert "closed in your favour" in _hint(buyer.page(f"/orders/{MAIN}"))


def test_seller_rejects_then_ships_later():
    buyer = _buyer(
        "awaiting_shipment", on_cancel="reject", answer_after_hours=10, ship_after_hours=200
    )
    buyer.cancel(**PAID_OK)
    buyer.advance(hours=10)
    page = buyer.page(f"/orders/{MAIN}")
    assert buyer.state()["state"] == "cancellation_rejected"
    assert heading(page) == "Awaiting shipment"
    assert 'role="note">The seller rejected your cancellation request.<' in page
    assert 'data-open="cancel"' not in page
    assert alert_text(buyer.cancel(**PAID_OK)) == st.REFUSE_REJECTED
    buyer.advance(days=10)
    assert buyer.state()["state"] == "shipped"


def test_seller_ships_before_answering():
    buyer = _buyer("awaiting_shipment", on_cancel="ship", answer_after_hours=3)
    buyer.cancel(**PAID_OK)
    buyer.advance(hours=3)
    assert buyer.state()["state"] == "shipped"
    assert alert_text(buyer.cancel(**PAID_OK)) == st.REFUSE_SHIPPED


def test_seller_cancels_on_its_own():
    buyer = _buyer("awaiting_shipment", cancel_after_hours=100)
    buyer.advance(days=4)
    assert buyer.state()["closed_reason"] == "seller_cancelled"
    assert _hint(buyer.page(f"/orders/{MAIN}")) == "This order was canceled by the seller."


def test_cancel_button_24_hours_after_payment():
    buyer = _buyer("awaiting_shipment_24h")  # paid 2 hours before "now"
    page = buyer.page(f"/orders/{MAIN}")
    assert 'data-open="cancel"' not in page
    assert _hint(page) == "Cancel order will be available 24 hours after payment."
    assert alert_text(buyer.cancel(**PAID_OK)) == st.REFUSE_TOO_EARLY
    buyer.advance(hours=22)
    assert 'data-open="cancel"' in buyer.page(f"/orders/{MAIN}")
    assert status_text(buyer.cancel(**PAID_OK)) == st.DONE_REQUESTED


def test_extend_processing_time_is_recorded():
    buyer = _buyer("awaiting_shipment")
    response = buyer.post(f"/orders/{MAIN}/extend")
    assert status_text(buyer.page(response.headers["location"])) == (
        "The processing time has been extended."
    )
    assert buyer.state()["actions"][0]["kind"] == "extend"
    assert buyer.state()["state"] == "awaiting_shipment"
    unpaid = _buyer("awaiting_payment")
    assert alert_text(unpaid.page(unpaid.post(f"/orders/{MAIN}/extend").headers["location"]))


def test_guide_reason_wording_can_replace_the_list():
    buyer = _buyer("guide_reasons")
    page = buyer.page(f"/orders/{MAIN}")
    assert ">I ordered the wrong item<" in page and ">Other reasons<" in page
    assert "Other reason(s)" not in page
    assert alert_text(buyer.cancel(**PAID_OK)) == st.REFUSE_NO_REASON
    assert status_text(buyer.cancel(reason="Other reasons", report="no")) == st.DONE_REQUESTED


# -- after shipping ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scenario", "refusal"),
    [
        ("shipped", st.REFUSE_SHIPPED),
        ("shipped_free_return", st.REFUSE_SHIPPED),
        ("shipment_canceled", st.REFUSE_SHIPPED),
        ("completed", st.REFUSE_COMPLETED),
        ("closed_refunding", st.REFUSE_CLOSED),
        ("seller_cancelled", st.REFUSE_CLOSED),
        ("cancellation_requested", st.REFUSE_PENDING),
        ("rejected", st.REFUSE_REJECTED),
    ],
)
def test_cancel_refused_by_state(scenario, refusal):
    buyer = _buyer(scenario)
    before = buyer.state()["state"]
    assert 'data-open="cancel"' not in buyer.page(f"/orders/{MAIN}")
    assert alert_text(buyer.cancel(**PAID_OK)) == refusal
    assert buyer.state()["state"] == before


def test_shipped_order_actions():
    buyer = _buyer("shipped")
    page = buyer.page(f"/orders/{MAIN}")
    assert heading(page) == "Awaiting delivery"
    assert ">Free return<" not in page and ">Open dispute<" in page
    assert alert_text(buyer.page(buyer.post(f"/orders/{MAIN}/return").headers["location"]))
    buyer.post(f"/orders/{MAIN}/dispute")
    buyer.post(f"/orders/{MAIN}/confirm")
    assert buyer.state()["state"] == "completed"
    assert "Dispute opened" in buyer.page("/refunds")


def test_free_return_when_the_item_has_it():
    buyer = _buyer("shipped_free_return")
    page = buyer.page(f"/orders/{MAIN}")
    assert "Free return is available for this order." in page
    response = buyer.post(f"/orders/{MAIN}/return")
    assert status_text(buyer.page(response.headers["location"])) == (
        "Your free return request has been submitted."
    )


def test_shipment_fails_and_delivery_completes_by_the_clock():
    data = scenario_data("shipped")
    data["orders"][0]["tracking"]["fails_after_hours"] = 100
    buyer = _buyer(data)
    buyer.advance(days=2)
    assert buyer.state()["state"] == "shipment_canceled"
    data = scenario_data("shipped")
    data["orders"][0]["tracking"]["delivered_after_hours"] = 100
    buyer = _buyer(data)
    buyer.advance(days=2)
    assert buyer.state()["state"] == "completed"


def test_completed_order_can_be_deleted():
    buyer = _buyer("completed")
    assert buyer.post(f"/orders/{MAIN}/delete", back="/orders").headers["location"] == "/orders"
    assert buyer.state()["deleted"] is True
    assert buyer.get("/api/orders").json()["total"] == 0
    assert buyer.get("/api/orders?status=deleted").json()["total"] == 1
    assert buyer.post(f"/orders/{MAIN}/nonsense").status_code == 404


def test_closed_orders_hints_and_coupon_return():
    buyer = _buyer("seller_cancelled")
    assert _hint(buyer.page(f"/orders/{MAIN}")) == "This order was canceled by the seller."
    assert "canceled by the platform" in _hint(buyer.page("/orders/8211279521850049"))
    buyer = _buyer("closed_refunding")
    assert "Platform coupon: returned" in buyer.page(f"/orders/{MAIN}?tab=payment")
    buyer.advance(days=31)
    assert "Platform coupon: not returned" in buyer.page(f"/orders/{MAIN}?tab=payment")


# -- messages ---------------------------------------------------------------------------
def test_messages_are_stored_and_the_seller_answers_after_n_hours():
    buyer = _buyer("awaiting_shipment")  # replies 6 hours after the first message
    url = f"/p/message/index.html?fromCode=order&orderId={MAIN}"
    page = buyer.page(url)
    assert "No messages yet." in page
    assert 'for="text" class="visually-hidden">Type a message' in page
    response = buyer.post("/p/message/send", orderId=MAIN, text="Please do not ship.")
    assert response.headers["location"] == url
    assert status_text(buyer.page(url)) == "Message sent."
    assert alert_text(
        buyer.page(buyer.post("/p/message/send", orderId=MAIN, text="  ").headers["location"])
    ) == ("Please type a message.")
    buyer.advance(hours=5)
    assert [m["author"] for m in buyer.state()["messages"]] == ["buyer"]
    buyer.advance(hours=1)
    assert [m["author"] for m in buyer.state()["messages"]] == ["buyer", "seller"]
    page = buyer.page(url)
    assert "Sunrise Electronics Store" in page and "We will not ship the order" in page
    assert "Sunrise Electronics Store" in buyer.page("/messages")
