"""Sign-in, sessions, CSRF and access rules of the mock portal (HTTP level)."""

import pyotp
import pytest
from mock_site_client import MAIN, Buyer, alert_text, heading

from mock_site.auth import BAD_CODE, BAD_CREDENTIALS, LOCKED


def test_order_pages_need_a_session():
    buyer = Buyer("demo")
    for url in [
        "/orders",
        f"/orders/{MAIN}",
        "/orders/deleted",
        "/messages",
        "/refunds",
        f"/p/message/index.html?fromCode=order&orderId={MAIN}",
    ]:
        response = buyer.get(url)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    assert buyer.get("/api/orders").status_code == 401


def test_two_step_sign_in_redirects_to_next_with_a_safe_cookie():
    buyer = Buyer("demo")
    first = buyer.get(f"/login?next=/orders/{MAIN}")
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "Email or phone number" in first.text and ">Continue<" in first.text
    step2 = buyer.post("/login", email="buyer@example.com", next=f"/orders/{MAIN}")
    assert step2.headers["location"] == f"/login/password?next=/orders/{MAIN}"
    page = buyer.page(step2.headers["location"])
    assert 'for="password">Password<' in page and ">Sign in<" in page
    done = buyer.post("/login/password", password="demo-pass-2026", next=f"/orders/{MAIN}")
    assert done.status_code == 303 and done.headers["location"] == f"/orders/{MAIN}"
    assert buyer.portal.snapshot()["sign_ins"] == {"buyer@example.com": 1}


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil", ""])
def test_next_must_be_a_relative_path(target):
    buyer = Buyer("demo")
    assert buyer.login(next_url=target).headers["location"] == "/orders"


def test_wrong_password_and_unknown_account_give_the_same_message():
    buyer = Buyer("demo")
    assert alert_text(buyer.login(password="nope").text) == BAD_CREDENTIALS
    assert alert_text(buyer.login(email="nobody@example.com").text) == BAD_CREDENTIALS


def test_lock_out_after_five_failures_for_one_simulated_hour():
    buyer = Buyer("demo")
    for _ in range(4):
        assert alert_text(buyer.login(password="bad").text) == BAD_CREDENTIALS
    assert alert_text(buyer.login(password="bad").text) == LOCKED
    assert alert_text(buyer.login().text) == LOCKED  # even the right password
    buyer.advance(hours=1)
    assert buyer.login().status_code == 303


def test_fixed_verification_code_then_captcha():
    buyer = Buyer("login_extras")
    response = buyer.login("code@example.com", "code-pass-2026")
    assert response.headers["location"] == "/login/verify?next=/orders"
    page = buyer.page("/login/verify?next=/orders")
    assert heading(page) == "Verification" and "Email verification code" in page
    assert alert_text(buyer.post("/login/verify", code="000000", next="/orders").text) == BAD_CODE
    response = buyer.post("/login/verify", code="123456", next="/orders")
    assert response.headers["location"] == "/login/captcha?next=/orders"
    assert buyer.get("/orders").status_code == 303  # not signed in yet
    frame = buyer.page("/login/captcha/frame?next=/orders")
    assert "Please slide to verify" in frame
    assert buyer.post("/login/captcha", slider="40", next="/orders").headers["location"] == (
        "/login/captcha?next=/orders"
    )
    assert buyer.post("/login/captcha", slider="100", next="/orders").headers["location"] == (
        "/orders"
    )
    assert buyer.get("/orders").status_code == 200


def test_totp_verification():
    buyer = Buyer("login_extras")
    buyer.login("totp@example.com", "totp-pass-2026")
    code = pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").now()
    assert buyer.post("/login/verify", code=code, next="/orders").headers["location"] == "/orders"


def test_verify_page_without_a_password_step_goes_back_to_sign_in():
    buyer = Buyer("login_extras")
    assert buyer.get("/login/verify").headers["location"].startswith("/login?next=")
    assert buyer.get("/login/captcha").headers["location"].startswith("/login?next=")


def test_csrf_token_is_required_on_every_form():
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    for url in [
        "/login",
        "/logout",
        f"/orders/{MAIN}/cancel",
        f"/orders/{MAIN}/extend",
        "/p/message/send",
    ]:
        assert buyer.http.post(url, data={"csrf_token": "forged"}).status_code == 403
    assert buyer.state()["state"] == "awaiting_shipment"


def test_sign_out_is_a_post():
    buyer = Buyer("demo")
    buyer.login()
    assert buyer.get("/logout").status_code == 405
    assert buyer.post("/logout").headers["location"] == "/login"
    assert buyer.get("/orders").status_code == 303


def test_another_accounts_order_is_a_404():
    buyer = Buyer("demo")
    buyer.login()
    other = "8300000000000101"
    assert buyer.get(f"/orders/{other}").status_code == 404
    assert buyer.post(f"/orders/{other}/cancel", reason="Other reason(s)").status_code == 404
    assert buyer.get(f"/p/message/index.html?fromCode=order&orderId={other}").status_code == 404
    assert "We couldn&#39;t find that order." in buyer.get("/orders/1234567890123456").text
