"""Each page and state of the mock portal in a real Chromium: renders, reachable by role."""

import re

import pytest
from mock_site_client import MAIN
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _signed_in(page: Page, portal) -> None:
    page.context.add_cookies([portal.session_cookie()])


def test_two_step_sign_in_and_wrong_password(page: Page, portal):
    page.goto(f"{portal.url}/orders/{MAIN}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email or phone number").fill(portal.email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Your account name or password is incorrect.")
    page.get_by_label("Password").fill(portal.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{portal.url}/orders/{MAIN}")
    page.get_by_role("navigation", name="Account menu").get_by_role(
        "button", name="Sign out"
    ).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


@pytest.mark.scenario("login_extras")
def test_verification_and_slider_captcha(page: Page, portal):
    page.goto(f"{portal.url}/login")
    page.get_by_label("Email or phone number").fill("code@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill("code-pass-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Verification")).to_be_visible()
    page.get_by_label("Email verification code").fill("123456")
    page.get_by_role("button", name="Verify").click()
    frame = page.frame_locator('iframe[title="Slider captcha"]')
    expect(frame.get_by_text("Please slide to verify")).to_be_visible()
    frame.get_by_role("slider", name="Please slide to verify").fill("100")
    expect(page.get_by_role("heading", name="My Orders")).to_be_visible()


def test_my_orders_list_tabs_cards_and_view_orders(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders")
    page.get_by_role("region", name="Cookie consent").get_by_role(
        "button", name="Accept all"
    ).click()
    expect(page.get_by_role("heading", name="My Orders")).to_be_visible()
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_text(
        [
            re.compile(r"^View All \(34\)$"),
            re.compile(r"^To pay \(\d+\)$"),
            re.compile(r"^To ship \(\d+\)$"),
            re.compile(r"^Shipped \(\d+\)$"),
            re.compile(r"^Processed \(\d+\)$"),
        ]
    )
    cards = page.get_by_role("article")
    expect(cards).to_have_count(10)
    expect(page.get_by_role("status").filter(has_text="Loading orders")).to_have_count(0)
    view_more = page.get_by_role("button", name="View orders")
    for expected in (20, 30, 34):
        view_more.click()
        expect(cards).to_have_count(expected)
    expect(view_more).to_be_hidden()
    card = page.get_by_role("article", name=f"Order {MAIN}")
    expect(card).to_contain_text(f"Order ID: {MAIN}Copy")
    expect(card).to_contain_text(re.compile(r"Order date: \w{3} \d{1,2}, 2026"))
    expect(card).to_contain_text(re.compile(r"Total: US \$\d+\.\d\d"))
    for name in ("Pay now", "Cancel order", "Contact seller", "Copy"):
        expect(card.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(card.get_by_role("link", name="Order details")).to_have_attribute(
        "href", f"/orders/{MAIN}"
    )


def test_search_and_status_tab(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders")
    page.get_by_role("searchbox", name="Search orders").fill(MAIN)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("article")).to_have_count(1)
    page.goto(f"{portal.url}/orders")
    page.get_by_role("tab", name=re.compile("^Shipped")).click()
    expect(page.get_by_role("tab", name=re.compile("^Shipped"))).to_have_attribute(
        "aria-selected", "true"
    )
    statuses = page.get_by_test_id("order-status")
    expect(statuses.first).to_be_visible()
    for text in statuses.all_inner_texts():
        assert text in ("Awaiting delivery", "Shipment canceled")


@pytest.mark.scenario("awaiting_shipment")
def test_paid_cancel_dialog_end_to_end(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders")
    page.get_by_role("article", name=f"Order {MAIN}").get_by_role(
        "button", name="Cancel order"
    ).click()
    dialog = page.get_by_role("dialog", name="Cancel order")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Extend processing time")).to_be_visible()
    dialog.get_by_role("button", name="Request order cancellation").click()
    dialog.get_by_label("Select here").select_option("I ordered the wrong product(s)")
    dialog.get_by_role("button", name="Submit").click()
    question = "Do you want to submit a report against this supplier?"
    expect(dialog.get_by_text(question)).to_be_visible()
    dialog.get_by_role("button", name="No").click()
    expect(page.get_by_role("status")).to_have_text("Your cancellation request has been submitted.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Awaiting cancellation")
    expect(page.get_by_test_id("status-hint")).to_contain_text("The seller has 15 days")
    requests = portal.order_state(MAIN)["cancellation_requests"]
    assert [(r["reason"], r["report"]) for r in requests] == [
        ("I ordered the wrong product(s)", "no")
    ]


@pytest.mark.scenario("awaiting_shipment")
def test_extend_processing_time_from_the_dialog(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders/{MAIN}")
    page.get_by_role("button", name="Cancel order").click()
    page.get_by_role("dialog", name="Cancel order").get_by_role(
        "button", name="Extend processing time"
    ).click()
    expect(page.get_by_role("status")).to_have_text("The processing time has been extended.")


@pytest.mark.scenario("awaiting_payment")
def test_unpaid_cancel_is_immediate(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders/{MAIN}")
    page.get_by_role("button", name="Cancel order").click()
    dialog = page.get_by_role("dialog", name="Cancel order")
    dialog.get_by_label("Select here").select_option("I placed a duplicate order")
    dialog.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_have_text("Your order has been canceled.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Canceled")


@pytest.mark.scenario("awaiting_shipment")
def test_submit_without_reason_shows_the_servers_message(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders/{MAIN}?cancel=1")
    dialog = page.get_by_role("dialog", name="Cancel order")
    dialog.get_by_role("button", name="Request order cancellation").click()
    dialog.get_by_role("button", name="Submit").click()
    dialog.get_by_role("button", name="No").click()
    expect(page.get_by_role("alert")).to_have_text("Please select a reason for cancelling.")


@pytest.mark.scenario("closed_refunding")
def test_payment_tab_refund_progress(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders/{MAIN}")
    info = page.get_by_role("tabpanel", name="Order")
    expect(info.get_by_text("Order ID:")).to_be_visible()
    page.get_by_role("tab", name="Payment").click()
    panel = page.get_by_role("tabpanel", name="Payment")
    steps = panel.get_by_role("list", name="Refund progress").get_by_role("listitem")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("Refund requested")
    expect(steps.nth(0)).to_contain_text("Done")
    expect(steps.nth(1)).to_contain_text("Refund processed by platform")
    expect(steps.nth(2)).to_contain_text("Pending")
    expect(steps.nth(1)).to_have_attribute("aria-current", "step")
    expect(panel).to_contain_text("Refund amount: US $")
    portal.advance(days=4)
    page.goto(f"{portal.url}/orders/{MAIN}?tab=payment")
    expect(page.locator('[data-state="done"]')).to_have_count(3)


@pytest.mark.scenario("rejected")
def test_rejected_note_and_no_cancel_button(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders/{MAIN}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Awaiting shipment")
    expect(page.get_by_role("note")).to_have_text("The seller rejected your cancellation request.")
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)


@pytest.mark.scenario("awaiting_shipment_24h")
def test_no_cancel_button_before_24_hours(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders/{MAIN}")
    expect(page.get_by_test_id("status-hint")).to_have_text(
        "Cancel order will be available 24 hours after payment."
    )
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)


@pytest.mark.scenario("awaiting_shipment")
def test_messages_send_and_seller_reply(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders/{MAIN}")
    page.get_by_role("link", name="Contact seller").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunrise Electronics Store")
    page.get_by_label("Type a message").fill("Please do not ship this order.")
    page.get_by_role("button", name="Send").click()
    log = page.get_by_role("log", name="Messages")
    expect(log.get_by_role("article")).to_have_count(1)
    expect(log).to_contain_text("You")
    portal.advance(hours=6)
    page.reload()
    expect(log.get_by_role("article")).to_have_count(2)
    expect(log.get_by_role("article").nth(1)).to_contain_text("Sunrise Electronics Store")


@pytest.mark.scenario("shipment_canceled")
def test_tracking_page_shows_shipment_canceled(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders/{MAIN}")
    expect(page.get_by_role("button", name="Open dispute")).to_be_visible()
    page.get_by_role("button", name="Track order").click()
    expect(page.get_by_role("heading", name="Track order")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Shipment canceled")
    expect(page.get_by_role("list", name="Tracking events")).to_contain_text("Delivery canceled")


@pytest.mark.scenario("seller_cancelled")
def test_deleted_orders_page(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders")
    page.get_by_role("link", name="Deleted orders").click()
    expect(page.get_by_role("heading", name="Deleted orders")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(2)
    expect(page.get_by_role("article", name=f"Order {MAIN}")).to_contain_text("Canceled")


@pytest.mark.scenario("nuisances")
def test_nuisances_can_be_dismissed(page: Page, portal):
    _signed_in(page, portal)
    page.goto(f"{portal.url}/orders/{MAIN}")
    expect(page.get_by_test_id("loading-overlay")).to_have_count(0)
    promo = page.get_by_role("dialog", name="Special offer")
    expect(promo).to_be_visible()
    promo.get_by_role("button", name="Close").click()
    expect(promo).to_have_count(0)
    banner = page.get_by_role("region", name="Cookie consent")
    banner.get_by_role("button", name="Reject all").click()
    expect(banner).to_have_count(0)
    chat = page.get_by_role("complementary", name="Shopping assistant")
    chat.get_by_role("button", name="Minimize chat").click()
    expect(chat.get_by_role("button", name="Open chat")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Awaiting shipment")
    expect(page.get_by_role("region", name="Cookie consent")).to_have_count(0)
    page.get_by_role("button", name="Cancel order").click()
    expect(page.get_by_role("dialog", name="Cancel order")).to_be_visible()


def test_another_accounts_order_is_not_found(page: Page, portal):
    _signed_in(page, portal)
    response = page.goto(f"{portal.url}/orders/8300000000000101")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


STATES = [
    ("awaiting_payment", "Awaiting payment", ["Pay now", "Cancel order"]),
    ("payment_verifying", "Payment being verified", ["Cancel order"]),
    ("awaiting_shipment", "Awaiting shipment", ["Cancel order"]),
    ("awaiting_shipment_24h", "Awaiting shipment", []),
    ("cancellation_requested", "Awaiting cancellation", []),
    ("rejected", "Awaiting shipment", []),
    ("shipped", "Awaiting delivery", ["Track order", "Open dispute", "Confirm received"]),
    (
        "shipped_free_return",
        "Awaiting delivery",
        ["Track order", "Free return", "Open dispute", "Confirm received"],
    ),
    ("shipment_canceled", "Shipment canceled", ["Track order", "Open dispute"]),
    ("closed_refunding", "Canceled", []),
    ("completed", "Completed", ["Open dispute"]),
    ("seller_cancelled", "Canceled", []),
]


def test_detail_page_per_state(page: Page, portal):
    # One page for all states: a fresh browser context per state would double the run time.
    for scenario, label, buttons in STATES:
        portal.reset(scenario)
        _signed_in(page, portal)
        page.goto(f"{portal.url}/orders/{MAIN}")
        block = page.get_by_role("region", name="Order status")
        expect(block.get_by_role("heading", level=1)).to_have_text(label)
        expect(block.get_by_test_id("status-hint")).not_to_be_empty()
        actions = page.get_by_role("group", name="Order actions").get_by_role("button")
        expect(actions).to_have_text(buttons)
        expect(page.get_by_role("link", name="Contact seller")).to_be_visible()
        order_panel = page.get_by_role("tabpanel", name="Order")
        expect(order_panel.get_by_text("Order ID:")).to_be_visible()
        prices = page.get_by_label("Price details")
        expect(prices).to_contain_text("Subtotal")
        expect(prices).to_contain_text("Total")
