"""The real-markup skin in Chromium: located only by visible text, placeholder and alt."""

import re

import pytest
from mock_site_client import MAIN
from playwright.sync_api import Page, expect

from mock_site.server import MockPortal

pytestmark = pytest.mark.browser

TEXT = {
    "en": {
        "email": "Email or phone number",
        "password": "Password",
        "continue": "Continue",
        "sign_in": "Sign in",
        "my_orders": "My Orders",
        "view_orders": "View orders",
        "details": "Order details",
        "cancel": "Cancel order",
        "request": "Request order cancellation",
        "select": "Select here",
        "reason": "I ordered the wrong product(s)",
        "submit": "Submit",
        "question": "Do you want to submit a report against this supplier?",
        "no": "No",
        "awaiting_cancellation": "Awaiting cancellation",
        "awaiting_shipment": "Awaiting shipment",
        "requested": "Your cancellation request has been submitted.",
        "contact": "Contact seller",
        "message": "Please enter your message",
        "send": "Send",
        "sent": "Message sent.",
        "order_id": "Order ID:",
        "wrong": "Your account name or password is incorrect.",
    },
    "es": {
        "email": "Correo electrónico o número de teléfono",
        "password": "Contraseña",
        "continue": "Continuar",
        "sign_in": "Iniciar sesión",
        "my_orders": "Mis pedidos",
        "view_orders": "Ver pedidos",
        "details": "Detalles del pedido",
        "cancel": "Cancelar pedido",
        "request": "Solicitar la cancelación del pedido",
        "select": "Seleccionar aquí",
        "reason": "He pedido el/los producto(s) equivocado(s)",
        "submit": "Enviar",
        "question": "¿Quieres enviar una denuncia contra este proveedor?",
        "no": "No",
        "awaiting_cancellation": "Esperando cancelación",
        "awaiting_shipment": "Esperando envío",
        "requested": "Se ha enviado tu solicitud de cancelación.",
        "contact": "Contactar con el vendedor",
        "message": "Por favor, introduce tu mensaje",
        "send": "Enviar",
        "sent": "Mensaje enviado.",
        "order_id": "Número de pedido:",
        "wrong": "Tu nombre de cuenta o contraseña es incorrecto.",
    },
}
BOTH = pytest.mark.parametrize("portal_skin", ["real-en", "real-es"])


def _sign_in(page: Page, portal, t: dict[str, str]) -> None:
    page.get_by_placeholder(t["email"]).fill(portal.email)
    page.get_by_text(t["continue"], exact=True).click()
    page.get_by_placeholder(t["password"]).fill(portal.password)
    page.get_by_text(t["sign_in"], exact=True).last.click()


@BOTH
@pytest.mark.scenario("awaiting_shipment")
def test_sign_in_from_home_then_cancel_with_the_custom_picker_and_no(page: Page, portal):
    t = TEXT[portal.locale]
    page.goto(portal.start_url)
    page.get_by_role("link", name=t["my_orders"]).first.click()
    expect(page).to_have_url(re.compile(r"/passport/login\.htm\?return_url="))
    page.get_by_placeholder(t["email"]).fill(portal.email)
    page.get_by_text(t["continue"], exact=True).click()
    page.get_by_placeholder(t["password"]).fill("wrong")
    page.get_by_text(t["sign_in"], exact=True).last.click()
    expect(page.get_by_text(t["wrong"])).to_be_visible()
    page.get_by_placeholder(t["password"]).fill(portal.password)
    page.get_by_text(t["sign_in"], exact=True).last.click()
    expect(page).to_have_url(f"{portal.url}/p/order/index.html")
    card = page.locator(".order-item").filter(has_text=MAIN)
    expect(card).to_contain_text(f"{t['order_id'].rstrip(':')}: {MAIN}")
    card.get_by_text(t["details"]).click()
    expect(page).to_have_url(f"{portal.url}/p/order/detail.html?orderId={MAIN}")
    expect(page.get_by_text(t["awaiting_shipment"], exact=True)).to_be_visible()
    page.get_by_text(t["cancel"], exact=True).click()
    modal = page.locator(".comet-modal")
    modal.get_by_text(t["request"]).click()  # waits out the loading mask
    modal.get_by_text(t["select"]).click()
    page.locator(".comet-v2-menu-item").get_by_text(t["reason"], exact=True).click()
    expect(modal.get_by_text(t["reason"])).to_be_visible()
    modal.get_by_text(t["submit"], exact=True).click()
    expect(modal.get_by_text(t["question"])).to_be_visible()
    modal.get_by_text(t["no"], exact=True).click()
    expect(page.get_by_text(t["requested"])).to_be_visible()
    expect(page.get_by_text(t["awaiting_cancellation"], exact=True)).to_be_visible()
    requests = portal.order_state(MAIN)["cancellation_requests"]
    assert [(r["reason"], r["report"], r["accepted"]) for r in requests] == [
        ("I ordered the wrong product(s)", "no", True)  # as the accessible skin records it
    ]


@pytest.mark.skin("real", locale="en")
def test_view_orders_pages_and_div_tabs(page: Page, portal):
    page.context.add_cookies([portal.session_cookie()])
    page.goto(f"{portal.url}/p/order/index.html")
    page.locator(".btn-accept").click()  # the demo's cookie banner
    cards = page.locator(".order-item")
    expect(cards).to_have_count(5)
    more = page.locator("button.comet-btn > span").get_by_text("View orders")
    for expected in (10, 15, 20, 25, 30, 34):
        more.click()
        expect(cards).to_have_count(expected)
    expect(more).to_be_hidden()
    card = cards.filter(has_text=MAIN)
    expect(card).to_contain_text(f"Order ID: {MAIN}Copy")
    expect(card).to_contain_text(re.compile(r"Order date: \w{3} \d{1,2}, 2026"))
    expect(card.locator("span[title]").first).to_have_attribute("title", re.compile(".+"))
    expect(card.get_by_text("Order details")).to_have_attribute(
        "href", f"/p/order/detail.html?orderId={MAIN}"
    )
    page.locator(".comet-tabs-nav-item").get_by_text("Completed").click()
    expect(page.locator(".comet-tabs-nav-item-active")).to_contain_text("Completed")
    statuses = page.locator(".order-item-header-status-text")
    expect(statuses.first).to_be_visible()
    expect(statuses).to_have_text(["Completed"] * statuses.count())


@BOTH
@pytest.mark.scenario("awaiting_shipment")
def test_messages_textarea_and_div_send(page: Page, portal):
    t = TEXT[portal.locale]
    page.context.add_cookies([portal.session_cookie()])
    page.goto(f"{portal.url}/p/order/detail.html?orderId={MAIN}")
    page.get_by_text(t["contact"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/p/message/index\.html\?fromCode=order&orderId="))
    page.get_by_placeholder(t["message"]).fill("Please do not ship this order.")
    page.get_by_text(t["send"], exact=True).click()
    expect(page.get_by_text(t["sent"])).to_be_visible()
    expect(page.get_by_text("Please do not ship this order.")).to_be_visible()
    assert portal.order_state(MAIN)["messages"][0]["text"] == "Please do not ship this order."


@pytest.mark.skin("real", locale="es")
@pytest.mark.scenario("awaiting_payment")
def test_unpaid_cancel_is_immediate_in_spanish(page: Page, portal):
    page.context.add_cookies([portal.session_cookie()])
    page.goto(f"{portal.url}/p/order/index.html")
    page.locator(".order-item").filter(has_text=MAIN).get_by_text("Cancelar pedido").click()
    modal = page.locator(".comet-modal")
    modal.get_by_text("Seleccionar aquí").click()
    page.get_by_text("He realizado un pedido duplicado", exact=True).click()
    modal.get_by_text("Enviar", exact=True).click()
    expect(page.get_by_text("Tu pedido se ha cancelado.")).to_be_visible()
    expect(page.get_by_text("Cancelado", exact=True)).to_be_visible()
    assert portal.order_state(MAIN)["state"] == "closed"


@pytest.mark.skin("real", locale="en")
@pytest.mark.scenario("nuisances")
def test_nuisances_promo_cookie_chat(page: Page, portal):
    page.context.add_cookies([portal.session_cookie()])
    page.goto(f"{portal.url}/p/order/detail.html?orderId={MAIN}")
    close = page.get_by_alt_text("Close")
    close.click()
    expect(close).to_have_count(0)
    page.get_by_text("Accept", exact=True).click()
    expect(page.locator(".btn-accept")).to_be_hidden()
    expect(page.locator("#J_xiaomi_dialog")).to_be_visible()
    page.get_by_alt_text("Minimize").click()
    page.reload()
    expect(page.get_by_text("Awaiting shipment", exact=True)).to_be_visible()
    expect(page.locator(".btn-accept")).to_be_hidden()  # consent remembered


@pytest.mark.skin("real", locale="en")
@pytest.mark.scenario("login_extras")
def test_verification_six_digits_then_captcha_iframe(page: Page, portal):
    page.goto(f"{portal.url}/p/order/index.html")
    page.get_by_placeholder("Email or phone number").fill("code@example.com")
    page.get_by_text("Continue", exact=True).click()
    page.get_by_placeholder("Password").fill("code-pass-2026")
    page.get_by_text("Sign in", exact=True).last.click()
    expect(page).to_have_title(re.compile("^Verification"))
    for i, digit in enumerate("123456"):
        page.locator(f'input[data-id="{i}"]').fill(digit)
    page.get_by_text("Verify", exact=True).click()
    frame = page.frame_locator("iframe#baxia-dialog-content")
    expect(frame.get_by_text("Please slide to verify")).to_be_visible()
    frame.locator("#nc_1_n1z").press("End")
    expect(page).to_have_url(f"{portal.url}/p/order/index.html")


@pytest.fixture
def two_origin_portal():
    server = MockPortal("awaiting_shipment", skin="real", login_port=0)
    yield server
    server.stop()


def test_sign_in_on_a_second_port_and_back(page: Page, two_origin_portal):
    server = two_origin_portal
    page_url = f"{server.url}/p/order/detail.html?orderId={MAIN}"
    page.goto(page_url)
    expect(page).to_have_url(re.compile(rf"^{server.login_url}/passport/login\.htm"))
    page.get_by_placeholder("Email or phone number").fill("buyer@example.com")
    page.get_by_text("Continue", exact=True).click()
    page.get_by_placeholder("Password").fill("buyer-pass-2026")
    page.get_by_text("Sign in", exact=True).last.click()
    expect(page).to_have_url(page_url)
    expect(page.get_by_text("Awaiting shipment", exact=True)).to_be_visible()
