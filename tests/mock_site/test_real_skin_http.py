"""The real-markup skin at HTTP level: pages in en/es, no accessibility hooks, same records."""

import json
import re

import pytest
from mock_site_client import MAIN, Buyer, scenario_data
from starlette.testclient import TestClient

from mock_site.app import create_app
from mock_site.real import LOCALE_DIR
from mock_site.scenario import parse_scenario

LIST = "/h5/mtop.aliexpress.trade.buyer.order.list/1.0/"
DETAIL = "/h5/mtop.aliexpress.trade.buyer.order.detail/1.0/"
OPERATION = "/h5/mtop.aliexpress.trade.buyer.order.operation/1.0/"
SEND = "/h5/mtop.aliexpress.message.send/1.0/"


class RealBuyer:
    """A browser-less buyer of the real skin: signs in through the JSON sign-in steps."""

    def __init__(self, scenario: str = "awaiting_shipment", locale: str = "en", **kw):
        data = scenario_data(scenario)
        self.app = create_app(
            parse_scenario(data), control_api=True, skin="real", locale=locale, **kw
        )
        self.portal = self.app.state.portal
        self.http = TestClient(self.app, follow_redirects=False)

    @property
    def token(self) -> str:
        if "sid" not in self.http.cookies:
            self.http.get("/passport/login.htm")
        return self.portal.sessions[self.http.cookies["sid"]].csrf

    def post(self, url: str, **body):
        return self.http.post(url, json={"_tb_token_": self.token, **body})

    def login(self, email="buyer@example.com", password="buyer-pass-2026", return_url=None):
        self.post("/passport/api/identify", loginId=email)
        return self.post("/passport/api/password", password=password, return_url=return_url or "")

    def page(self, url: str) -> str:
        response = self.http.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.text

    def operate(self, operation: str, order_id: str = MAIN, **extra):
        return self.post(OPERATION, orderId=order_id, operation=operation, **extra).json()["data"]


PAGES = [
    "/",
    "/p/order/index.html",
    "/p/order/deleted.html",
    f"/p/order/detail.html?orderId={MAIN}",
    f"/p/message/index.html?fromCode=order&orderId={MAIN}&bizContext=orderDetail",
    "/p/message/index.html",
    f"/p/tracking/index.html?tradeOrderId={MAIN}",
    "/p/refund-dispute/index.html",
    "/store/sunrise-electronics-store",
]
EXPECTED = {
    "en": ["My Orders", "Deleted orders", "Refunds &amp; disputes", "Messages", "View orders"],
    "es": ["Mis pedidos", "Pedidos eliminados", "Reembolsos y disputas", "Mensajes", "Ver pedidos"],
}


@pytest.mark.parametrize("locale", ["en", "es"])
def test_every_page_renders_in_its_language(locale):
    buyer = RealBuyer("demo", locale)
    buyer.login(password="demo-pass-2026")
    for url in PAGES:
        html = buyer.page(url)
        assert f'<html lang="{locale}">' in html, url
        for text in EXPECTED[locale][:4]:
            assert text in html, (url, text)
    assert EXPECTED[locale][4] in buyer.page("/p/order/index.html")
    login = RealBuyer("demo", locale).page("/passport/login.htm")
    words = {
        "en": [
            'placeholder="Email or phone number"',
            'placeholder="Password"',
            "<span>Sign in</span>",
        ],
        "es": [
            'placeholder="Correo electrónico o número de teléfono"',
            'placeholder="Contraseña"',
            "<span>Iniciar sesión</span>",
            'aria-label="Continuar">Continuar<',
        ],
    }
    for text in words[locale]:
        assert text in login


def test_no_labels_roles_test_ids_or_selects_anywhere():
    buyer = RealBuyer("demo")
    pages = [buyer.page("/passport/login.htm")]
    buyer.login(password="demo-pass-2026")
    pages += [buyer.page(url) for url in PAGES]
    script = buyer.page("/static/real/app.js")
    for html in [*pages, script]:
        for bad in (
            "<label",
            "data-testid",
            "<select",
            "role=",
            "aria-modal",
            "<main",
            "<nav",
            "<header",
            "<section",
            "<article",
            "<aside",
            "<footer",
            "<dialog",
            "<form",
        ):
            assert bad not in html, bad
        # the only aria-label is the real sign-in page's "Continue"
        assert set(re.findall(r'aria-label="([^"]*)"', html)) <= {"Continue"}
    assert "setAttribute('aria" not in script and "data-testid" not in script


def test_hashed_class_names_change_at_every_start():
    first, second = RealBuyer(), RealBuyer()
    a, b = first.page("/passport/login.htm"), second.page("/passport/login.htm")
    hashed = lambda html: set(re.findall(r"\b_[0-9a-f]{6}\b", html))  # noqa: E731
    assert hashed(a) and hashed(b) and not hashed(a) & hashed(b)
    assert "comet-btn" in a and "comet-btn" in b  # the stable readable ones stay


def test_order_pages_redirect_to_the_sign_in_and_back():
    buyer = RealBuyer()
    target = f"/p/order/detail.html?orderId={MAIN}"
    response = buyer.http.get(target)
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/passport/login.htm?return_url=%2Fp%2Forder%2Fdetail.html%3ForderId%3D8211279521850032"
    )
    wrong = buyer.login(password="nope").json()["data"]
    assert wrong == {"error": "Your account name or password is incorrect.", "step": "password"}
    done = buyer.login(return_url=target).json()["data"]
    assert done == {"step": "done", "next": target}
    assert buyer.http.get(target).status_code == 200
    assert buyer.http.get(LIST).status_code == 200
    assert RealBuyer().http.get(LIST).json()["ret"][0].startswith("FAIL_SYS_SESSION_EXPIRED")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_return_url_must_stay_on_the_shop(target):
    buyer = RealBuyer()
    assert buyer.login(return_url=target).json()["data"]["next"] == "/p/order/index.html"


def test_sign_in_on_a_second_port_comes_back_to_the_first():
    buyer = RealBuyer(login_port=8999)
    response = buyer.http.get(f"http://testserver:8001/p/order/detail.html?orderId={MAIN}")
    location = response.headers["location"]
    assert location.startswith("http://testserver:8999/passport/login.htm?return_url=http")
    back = f"http://testserver:8001/p/order/detail.html?orderId={MAIN}"
    assert buyer.login(return_url=back).json()["data"]["next"] == back


def test_verification_code_then_captcha():
    buyer = RealBuyer("login_extras")
    buyer.post("/passport/api/identify", loginId="code@example.com")
    step = buyer.post("/passport/api/password", password="code-pass-2026").json()["data"]
    assert step["step"] == "verify" and step["next"].startswith("/passport/verify.htm")
    page = buyer.page(step["next"])
    assert "<title>Verification - Marketplace</title>" in page
    assert all(f'data-id="{i}"' in page for i in range(6)) and ">Verify<" in page
    bad = buyer.post("/passport/api/verify", code="000000").json()["data"]
    assert bad["error"] == "The verification code is incorrect."
    step = buyer.post("/passport/api/verify", code="123456").json()["data"]
    assert step["step"] == "captcha"
    assert 'iframe id="baxia-dialog-content"' in buyer.page(step["next"])
    assert "Please slide to verify" in buyer.page("/passport/captcha_frame.htm")
    done = buyer.post("/passport/api/captcha", slider="100").json()["data"]
    assert done["step"] == "done"
    assert buyer.portal.snapshot()["sign_ins"] == {"code@example.com": 1}


def _cancel_record(state):
    (req,) = state["orders"][MAIN]["cancellation_requests"]
    return {k: v for k, v in req.items() if k != "time"}


@pytest.mark.parametrize("locale", ["en", "es"])
def test_a_cancellation_records_the_same_request_as_the_accessible_skin(locale):
    accessible = Buyer("awaiting_shipment")
    accessible.login()
    accessible.cancel(reason="I ordered the wrong product(s)", report="no")
    real = RealBuyer("awaiting_shipment", locale)
    real.login()
    fields = real.http.get(DETAIL, params={"orderId": MAIN}).json()["data"]["data"]
    cancel = fields[f"pc_om_detail_{MAIN}"]["fields"]["cancel"]
    wrong = {
        "en": "I ordered the wrong product(s)",
        "es": "He pedido el/los producto(s) equivocado(s)",
    }
    (reason,) = [r for r in cancel["reasons"] if r["text"] == wrong[locale]]
    result = real.operate("CANCEL_ORDER", reasonId=reason["id"], report="no")
    assert result["success"]
    a, r = accessible.portal.snapshot(), real.portal.snapshot()
    assert _cancel_record(a) == _cancel_record(r)
    assert a["orders"][MAIN]["state"] == r["orders"][MAIN]["state"] == "cancellation_requested"
    assert a["requests"] == {**r["requests"], "login_identify": 1}  # same counts of writes
    again = real.operate("CANCEL_ORDER", reasonId=reason["id"], report="no")
    pending = {
        "en": "A cancellation request is already pending for this order.",
        "es": "Ya hay una solicitud de cancelación pendiente para este pedido.",
    }
    assert again == {"success": False, "message": pending[locale]}


def test_unpaid_cancel_without_reason_is_refused_then_immediate():
    buyer = RealBuyer("awaiting_payment")
    buyer.login()
    refused = buyer.operate("CANCEL_ORDER")
    assert refused == {"success": False, "message": "Please select a reason for cancelling."}
    assert buyer.operate("CANCEL_ORDER", reasonId="1")["message"] == "Your order has been canceled."
    record = buyer.portal.snapshot()["orders"][MAIN]["cancellation_requests"][-1]
    assert (record["reason"], record["report"]) == ("I placed a duplicate order", None)


def test_operations_and_messages_go_through_the_portal():
    buyer = RealBuyer("awaiting_shipment", "es")
    buyer.login()
    assert (
        buyer.operate("EXTEND_PROCESSING")["message"]
        == "Se ha ampliado el tiempo de procesamiento."
    )
    sent = buyer.post(SEND, orderId=MAIN, text="No lo envíe, por favor.").json()["data"]
    assert sent == {"success": True, "message": "Mensaje enviado."}
    empty = buyer.post(SEND, orderId=MAIN, text=" ").json()["data"]
    assert empty == {"success": False, "message": "Por favor, escribe un mensaje."}
    bad_token = buyer.http.post(SEND, json={"orderId": MAIN, "text": "x", "_tb_token_": "no"})
    assert bad_token.status_code == 403
    state = buyer.portal.snapshot()
    assert [m["text"] for m in state["orders"][MAIN]["messages"]] == ["No lo envíe, por favor."]
    assert state["requests"]["extend"] == 1 and state["requests"]["message"] == 2


STATUS = {
    "awaiting_payment": ("Awaiting payment", "Esperando el pago"),
    "payment_verifying": ("Payment being verified", "Pago en verificación"),
    "awaiting_shipment": ("Awaiting shipment", "Esperando envío"),
    "cancellation_requested": ("Awaiting cancellation", "Esperando cancelación"),
    "rejected": ("Awaiting shipment", "Esperando envío"),
    "shipped": ("Awaiting delivery", "Esperando entrega"),
    "shipment_canceled": ("Shipment canceled", "Envío cancelado"),
    "closed_refunding": ("Canceled", "Cancelado"),
    "completed": ("Completed", "Completado"),
}


@pytest.mark.parametrize("scenario", list(STATUS))
def test_status_labels_per_state_in_both_languages(scenario):
    for i, locale in enumerate(("en", "es")):
        buyer = RealBuyer(scenario, locale)
        buyer.login()
        body = buyer.http.get(LIST, params={"tab": "all"}).json()["data"]
        fields = body["data"][f"pc_om_list_order_{MAIN}"]["fields"]
        assert fields["statusText"] == STATUS[scenario][i]


def test_list_pages_five_at_a_time_and_div_tabs_filter():
    buyer = RealBuyer("demo")
    buyer.login(password="demo-pass-2026")
    seen = []
    for page in range(1, 8):
        body = buyer.http.get(LIST, params={"page": page}).json()["data"]
        seen += body["hierarchy"]["structure"]["pc_om_list_body"]
        assert body["global"]["hasMore"] == (page < 7)
    assert len(seen) == len(set(seen)) == 34
    html = buyer.page("/p/order/index.html")
    tabs = re.findall(r'<div class="comet-tabs-nav-item[^"]*" data-tab="\w+">([^<(]+)', html)
    assert [t.strip() for t in tabs] == [
        "View all",
        "To pay",
        "Processing",
        "Processed",
        "Completed",
    ]


def test_scenario_field_chooses_the_skin_and_the_argument_wins():
    data = scenario_data("awaiting_shipment")
    data.update(skin="real", locale="es")
    app = create_app(parse_scenario(data))
    assert (app.state.skin, app.state.locale.code) == ("real", "es")
    app = create_app(parse_scenario(data), skin="accessible", locale="en")
    assert (app.state.skin, app.state.locale.code) == ("accessible", "en")
    assert create_app("awaiting_shipment").state.skin == "accessible"


def test_locale_files_have_the_same_keys():
    en, es = (json.loads((LOCALE_DIR / f"{c}.json").read_text()) for c in ("en", "es"))
    assert en["texts"].keys() == es["texts"].keys()
    assert en["lang"] == "en" and es["lang"] == "es"
    from mock_site.scenario import DEFAULT_REASONS

    assert set(DEFAULT_REASONS) <= set(es["reasons"])
