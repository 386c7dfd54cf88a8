"""Issue 19's flood defence and issue 16's page weight, at HTTP level on both skins, plus
two browser tests (the real skin's punish page, a heavy page's scripts and beacons)."""

from __future__ import annotations

import json
import re
import struct
import time

import pytest
from mock_site_client import MAIN, Buyer, scenario_data
from playwright.sync_api import Page, expect
from test_real_skin_http import DETAIL, OPERATION, RealBuyer

from mock_site.__main__ import main as cli_main
from mock_site.weight import REAL, parse_cli
from tests.support.portal import wait_until

REASON = "I ordered the wrong product(s)"


class Clock:
    """The flood defence's wall clock, moved by hand (no sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def flooded(buyer, **settings) -> Clock:
    clock = Clock()
    buyer.portal.clock = clock
    body = {"settings": {"max_actions": 3, "window_s": 60, "cooldown_s": 300, **settings}}
    assert buyer.http.post("/__mock__/flood", json=body).status_code == 200
    return clock


# -- flood defence ---------------------------------------------------------------------------


def test_accessible_skin_answers_a_flood_with_security_check_until_the_cool_down_ends():
    buyer = Buyer("demo")
    buyer.login(password="demo-pass-2026")
    clock = flooded(buyer)
    for _ in range(3):
        assert buyer.post(f"/orders/{MAIN}/cart").status_code == 303
        clock.now += 1
    blocked = buyer.post(f"/orders/{MAIN}/cart")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) == 300
    assert "<h1>Security check</h1>" in blocked.text and "Too many requests" in blocked.text
    assert len(buyer.state()["actions"]) == 3  # the fourth was not applied
    page = buyer.get("/orders")  # pages too, during the cool-down
    assert page.status_code == 429 and "Security check" in page.text
    assert buyer.get("/api/orders").json() == {"error": "too many requests"}
    assert buyer.get("/static/site.js").status_code == 200  # never static files
    flood = buyer.http.get("/__mock__/flood").json()
    assert flood["triggered"] == {"buyer@example.com": 1}
    assert flood["blocked_requests"] == {"buyer@example.com": 3}
    assert flood["blocked_for_s"] == {"buyer@example.com": 300.0}
    assert buyer.http.get("/__mock__/state").json()["fired_counts"] == {"flood": 1}
    clock.now += 301
    assert buyer.get("/orders").status_code == 200
    assert buyer.post(f"/orders/{MAIN}/cart").status_code == 303


def test_actions_spread_over_the_window_pass_and_other_accounts_are_not_counted():
    buyer = Buyer("demo")
    buyer.login(password="demo-pass-2026")
    clock = flooded(buyer)
    for _ in range(10):
        assert buyer.post(f"/orders/{MAIN}/cart").status_code == 303
        clock.now += 21  # 3 per minute at most: never more than 3 in a 60 s window
    assert buyer.http.get("/__mock__/flood").json()["triggered"] == {}
    for _ in range(20):  # pages are not actions by default
        assert buyer.get("/orders").status_code == 200


def test_requests_mode_counts_pages_and_the_defence_is_off_by_default():
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    for _ in range(30):
        buyer.get("/orders")
    assert buyer.http.get("/__mock__/state").json()["flood"]["settings"] is None
    flooded(buyer, count="requests")
    statuses = [buyer.get("/orders").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_scenario_field_switches_it_and_control_api_clears_and_turns_it_off():
    data = scenario_data("awaiting_shipment")
    data["flood"] = {"max_actions": 1, "window_s": 60, "cooldown_s": 600}
    buyer = Buyer(data)
    buyer.login()
    buyer.post(f"/orders/{MAIN}/cart")
    assert buyer.post(f"/orders/{MAIN}/cart").status_code == 429
    cleared = buyer.http.post("/__mock__/flood", json={"clear": True}).json()
    assert cleared["blocked_for_s"] == {} and cleared["triggered"] == {"buyer@example.com": 1}
    buyer.http.post("/__mock__/flood", json={"settings": None})
    assert all(buyer.post(f"/orders/{MAIN}/cart").status_code == 303 for _ in range(5))
    bad = buyer.http.post("/__mock__/flood", json={"settings": {"max_actions": 0}})
    assert bad.status_code == 400


def test_real_skin_punish_page_json_answer_and_the_slider_lifts_the_block():
    buyer = RealBuyer()
    buyer.login()
    flooded(buyer, max_actions=1)
    assert buyer.operate("ADD_TO_CART")["success"] is True
    blocked = buyer.post(OPERATION, orderId=MAIN, operation="CANCEL_ORDER", reasonId="0")
    body = blocked.json()
    assert body["ret"][0].startswith("FAIL_SYS_USER_VALIDATE::")
    assert "/_____tmd_____/punish?x5secdata=" in body["data"]["url"]
    assert buyer.portal.snapshot()["orders"][MAIN]["cancellation_requests"] == []
    page = buyer.http.get(f"/p/order/detail.html?orderId={MAIN}")
    assert page.status_code == 302 and "punish" in page.headers["location"]
    punish = buyer.page(page.headers["location"])
    assert "Please slide to verify" in punish and 'id="nc_1_n1z"' in punish
    assert "Sorry, we have detected unusual traffic" in punish
    assert (
        buyer.http.get(f"{DETAIL}?orderId={MAIN}")
        .json()["ret"][0]
        .startswith("FAIL_SYS_USER_VALIDATE")
    )
    solved = buyer.post("/_____tmd_____/slide", slider="100", return_url="/p/order/index.html")
    assert solved.json()["data"] == {"ok": True, "next": "/p/order/index.html"}
    assert buyer.http.get("/p/order/index.html").status_code == 200


# -- page weight -------------------------------------------------------------------------------


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/cdn/[^"]+)"', html) + re.findall(
        r'url\("(/cdn/[^"]+)"\)', html
    )


def test_page_weight_defaults_to_none_and_real_serves_the_almanac_median():
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    assert _assets(buyer.page(f"/orders/{MAIN}")) == []
    assert buyer.http.get("/__mock__/state").json()["page_weight"]["setting"] == "none"
    answer = buyer.http.post("/__mock__/page_weight", json={"page_weight": "real"})
    assert answer.json() == {"page_weight": "real"}
    urls = _assets(buyer.page(f"/orders/{MAIN}"))
    kinds = [u.split("/")[2] for u in urls]
    assert (kinds.count("js"), kinds.count("css"), kinds.count("img"), kinds.count("font")) == (
        24,
        6,
        18,
        3,
    )
    total = 0
    for url in urls:
        response = buyer.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        total += len(response.content)
    expected = (REAL.script_kb + REAL.style_kb + REAL.image_kb + REAL.font_kb) * 1024
    assert abs(total - expected) / expected < 0.02
    served = buyer.http.get("/__mock__/state").json()["page_weight"]
    assert served["served"] == {"style": 6, "font": 3, "image": 18, "script": 24}
    assert served["bytes"] == total


def test_assets_are_real_files_and_cacheable_share_and_beacons():
    data = scenario_data("awaiting_shipment")
    data["page_weight"] = {
        "images": 4,
        "image_kb": 200,
        "scripts": 2,
        "script_kb": 10,
        "beacons": 3,
        "cacheable": 0.5,
    }
    buyer = RealBuyer.__new__(RealBuyer)
    from starlette.testclient import TestClient

    from mock_site.app import create_app
    from mock_site.scenario import parse_scenario

    buyer.app = create_app(parse_scenario(data), control_api=True, skin="real")
    buyer.portal = buyer.app.state.portal
    buyer.http = TestClient(buyer.app, follow_redirects=False)
    buyer.login()
    html = buyer.page(f"/p/order/detail.html?orderId={MAIN}")
    urls = _assets(html)
    images = [u for u in urls if "/img/" in u]
    caches = [buyer.http.get(u).headers["cache-control"] for u in images]
    assert caches.count("no-store") == 2
    png = buyer.http.get(images[0]).content
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == height and 40_000 < len(png) < 60_000
    script = buyer.http.get(next(u for u in urls if "/js/" in u)).text
    assert "performance.now()" in script and script.count("function f") > 50
    assert html.count("navigator.sendBeacon") == 1 and "i<3" in html
    assert buyer.http.post("/beacon?e=pv&i=0", content=b"{}").status_code == 204
    assert buyer.portal.snapshot()["page_weight"]["beacons_total"] == 1
    other = _assets(buyer.page("/p/order/index.html"))
    assert [u for u in other if "/img/" in u] != images  # pictures differ per page
    assert [u for u in other if "/js/" in u] == [u for u in urls if "/js/" in u]  # bundles not


def test_page_weight_switches_validate():
    assert parse_cli("real") == "real"
    assert parse_cli('{"scripts": 3, "script_kb": 30}').scripts == 3
    with pytest.raises(ValueError):
        parse_cli('{"scripts": -1}')
    buyer = Buyer("awaiting_shipment")
    assert buyer.http.post("/__mock__/page_weight", json={"page_weight": "x"}).status_code == 400
    assert cli_main(["--page-weight", "{bad json"]) == 2
    json.dumps(REAL.model_dump())  # the figures are plain numbers


# -- in a browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skin("real", locale="en")
@pytest.mark.scenario("awaiting_shipment")
def test_real_skin_flood_lands_on_the_punish_page_in_a_browser(page: Page, portal):
    server = portal.server
    clock = Clock()
    server.portal.clock = clock
    try:
        server.portal.flood_settings = None
        page.context.add_cookies([portal.session_cookie()])
        from mock_site.scenario import Flood

        server.portal.flood_settings = Flood(max_actions=1, count="requests", cooldown_s=60)
        page.goto(f"{portal.url}/p/order/detail.html?orderId={MAIN}")  # the page passes,
        expect(page).to_have_url(re.compile(r"/_____tmd_____/punish\?x5secdata="))  # its JSON not
        expect(page.get_by_text("Please slide to verify")).to_be_visible()
        assert portal.state()["flood"]["triggered"] == {portal.email: 1}
    finally:
        server.portal.flood_settings = None
        server.portal.clock = time.monotonic


@pytest.mark.browser
@pytest.mark.scenario("awaiting_shipment")
def test_a_heavy_page_runs_its_scripts_and_sends_its_beacons(page: Page, portal):
    server = portal.server
    server.portal.weight_override = "real"
    try:
        page.context.add_cookies([portal.session_cookie()])
        page.goto(f"{portal.url}/orders/{MAIN}")
        page.wait_for_function("window.__mockWeight === 24")
        expect(page.get_by_role("button", name="Cancel order")).to_be_visible()
        wait_until(
            lambda: portal.state()["page_weight"]["beacons_total"] >= REAL.beacons,
            timeout=10,
            what="the page's beacons",
        )
        served = portal.state()["page_weight"]["served"]
        assert served["script"] == 24 and served["image"] == 18
    finally:
        server.portal.weight_override = None


@pytest.mark.browser
@pytest.mark.skin("real", locale="en")
@pytest.mark.scenario("hostile")
def test_real_skin_slow_modal_long_mask_and_injected_card_in_a_browser(page: Page, portal):
    from mock_site.faults import Fault

    fault = Fault(path=r"^/p/order/detail", mask_ms=1500, fade_ms=1200, times=1).model_dump()
    portal.server.portal.faults = [fault]
    page.context.add_cookies([portal.session_cookie()])
    page.goto(f"{portal.url}/p/order/detail.html?orderId={MAIN}")
    cards = page.locator(".order-item")
    expect(cards).to_have_count(1)  # the other order's card, injected above the status
    expect(cards).to_contain_text("Order ID: 8211279521850049")
    expect(page.get_by_text("Cancel order", exact=True)).to_have_count(2)
    page.locator(".comet-btn-primary").get_by_text("Cancel order", exact=True).last.click()
    modal = page.locator(".comet-modal")
    modal.get_by_text("Request order cancellation").click()  # waits out fade and mask
    modal.get_by_text("Select here").click()
    page.locator(".comet-v2-menu-item").get_by_text(REASON, exact=True).click()
    modal.get_by_text("Submit", exact=True).click()
    modal.get_by_text("No", exact=True).click()
    expect(page.get_by_text("Your cancellation request has been submitted.")).to_be_visible()
    assert portal.order_state(MAIN)["state"] == "cancellation_requested"
    assert portal.order_state("8211279521850049")["cancellation_requests"] == []
    assert portal.state()["fired_counts"] == {"slow_mask": 1}
