"""The fault kinds beyond status and delay: drop, hang, redirect, changed page, session
expiry, sign-in challenges, the seller acting mid-flow, and `skip` to fire at the Nth match."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from mock_site_client import MAIN, Buyer, scenario_data

from mock_site.auth import INJECTED_CODE
from mock_site.server import MockPortal


def install(buyer: Buyer, *faults: dict[str, object]) -> httpx.Response:
    response: httpx.Response = buyer.http.post("/__mock__/faults", json={"faults": list(faults)})
    return response


def fired(buyer: Buyer) -> list[str]:
    return [f["kind"] for f in buyer.portal.snapshot()["fired"]]


@pytest.fixture(scope="module")
def served() -> Iterator[MockPortal]:
    server = MockPortal("awaiting_shipment")
    yield server
    server.stop()


@pytest.fixture
def client(served: MockPortal) -> Iterator[httpx.Client]:
    served.reset("awaiting_shipment")
    with httpx.Client(base_url=served.url, timeout=5) as http:
        http.cookies.set("sid", _sid(served))
        yield http


def _sid(server: MockPortal) -> str:
    sid, session = server.portal.session(None)
    server.portal.sign_in(session, "buyer@example.com")
    return sid


def test_drop_closes_the_connection_without_an_answer(
    served: MockPortal, client: httpx.Client
) -> None:
    served.portal.faults = [
        {**_plain(), "path": f"^/orders/{MAIN}$", "drop": True, "times": 1, "skip": 0}
    ]
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"/orders/{MAIN}")
    assert client.get(f"/orders/{MAIN}").status_code == 200  # `times` used up
    assert [f["kind"] for f in served.state()["fired"]] == ["drop"]


def test_hang_after_the_change_never_answers(served: MockPortal, client: httpx.Client) -> None:
    csrf = served.portal.sessions[client.cookies["sid"]].csrf
    served.portal.faults = [
        {**_plain(), "path": "/cancel$", "method": "POST", "when": "after", "hang": True}
    ]
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            f"/orders/{MAIN}/cancel",
            data={"csrf_token": csrf, "reason": "Other reason(s)", "report": "no"},
            timeout=0.5,
        )
    assert served.state()["orders"][MAIN]["state"] == "cancellation_requested"


def _plain() -> dict[str, object]:
    from mock_site.faults import Fault

    return Fault(path="x").model_dump()


def test_redirect_to_another_origin() -> None:
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    assert install(buyer, {"path": "^/orders/", "redirect": "http://evil.example/"}).is_success
    response = buyer.get(f"/orders/{MAIN}")
    assert response.status_code == 303
    assert response.headers["location"] == "http://evil.example/"


def test_replace_renames_a_button_and_keeps_the_length_right() -> None:
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    install(buyer, {"path": "^/orders/", "replace": {"Cancel order": "Cancel purchase"}})
    response = buyer.get(f"/orders/{MAIN}")
    assert "Cancel purchase" in response.text and "Cancel order" not in response.text
    assert int(response.headers["content-length"]) == len(response.content)
    assert fired(buyer) == ["changed_page"]


def test_session_expires_at_the_nth_request() -> None:
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    install(buyer, {"path": "^/orders/", "skip": 1, "times": 1, "expire_sessions": True})
    assert buyer.get(f"/orders/{MAIN}").status_code == 200  # the first one passes
    response = buyer.get(f"/orders/{MAIN}")  # the second fires before the app: signed out
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert buyer.get(f"/orders/{MAIN}").status_code == 303
    assert fired(buyer) == ["expire_sessions"]


@pytest.mark.parametrize("kind", ["captcha", "code"])
def test_challenge_at_the_next_sign_in(kind: str) -> None:
    buyer = Buyer("awaiting_shipment")
    install(buyer, {"path": "^/login$", "method": "POST", "challenge": kind, "times": 1})
    response = buyer.login()
    step = "/login/captcha" if kind == "captcha" else "/login/verify"
    assert response.status_code == 303 and response.headers["location"].startswith(step)
    if kind == "code":
        wrong = buyer.post("/login/verify", code="000000", next="/orders")
        assert "The verification code is incorrect." in wrong.text
        right = buyer.post("/login/verify", code=INJECTED_CODE, next="/orders")
        assert right.status_code == 303 and right.headers["location"] == "/orders"
    # The challenge is used up: the next sign-in is plain again.
    buyer.http.cookies.clear()
    assert buyer.login().headers["location"] == "/orders"


def test_challenge_for_one_account_only() -> None:
    data = scenario_data("awaiting_shipment")
    data["accounts"].append({"email": "other@example.com", "password": "other-pass"})
    buyer = Buyer(data)
    buyer.portal.challenge("captcha", "other@example.com")
    assert buyer.login().headers["location"] == "/orders"
    assert buyer.portal.challenges == {"other@example.com": "captcha"}


def test_the_seller_answers_when_a_request_arrives() -> None:
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    install(
        buyer,
        {
            "path": "/cancel$",
            "method": "POST",
            "when": "after",
            "seller": {"order": MAIN, "do": "accept"},
        },
        {"path": "^/p/message/send$", "seller": {"order": MAIN, "do": "reply", "text": "Why?"}},
    )
    buyer.cancel(reason="Other reason(s)", report="no")
    assert buyer.state()["closed_reason"] == "seller_accepted"
    buyer.post("/p/message/send", orderId=MAIN, text="hello")
    authors = [(m["author"], m["text"]) for m in buyer.state()["messages"]]
    assert authors == [("seller", "Why?"), ("buyer", "hello")]  # "before": the reply came first
    assert fired(buyer) == ["seller_accept", "seller_reply"]


def test_the_seller_ships_under_a_cancellation() -> None:
    buyer = Buyer("awaiting_shipment")
    buyer.login()
    install(buyer, {"path": "/cancel$", "method": "POST", "seller": {"order": MAIN, "do": "ship"}})
    page = buyer.cancel(reason="Other reason(s)", report="no")
    assert "This order has been shipped and can no longer be canceled." in page
    assert [r["accepted"] for r in buyer.state()["cancellation_requests"]] == [False]


def test_a_scenario_carries_its_faults_and_bad_ones_are_refused() -> None:
    data = scenario_data("awaiting_shipment")
    data["faults"] = [{"path": "^/orders$", "status": 503}]
    buyer = Buyer(data)
    buyer.login()
    assert buyer.get("/orders").status_code == 503
    buyer.portal.reset(buyer.portal.scenario)  # a reset installs them again, fresh
    assert buyer.portal.faults[0]["status"] == 503
    bad = install(buyer, {"path": "x", "status": 500, "drop": True})
    assert bad.status_code == 400 and "at most one" in bad.text
    data["faults"] = [{"path": "x", "hang": True, "replace": {"a": "b"}}]
    reset = buyer.http.post("/__mock__/reset", json=data)
    assert reset.status_code == 400 and "faults.0" in reset.text


def test_gather_holds_requests_until_enough_are_in_flight(
    served: MockPortal, client: httpx.Client
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    gather = {**_plain(), "path": f"^/orders/{MAIN}$", "gather": 2, "delay_ms": 60_000}
    served.portal.faults = [{**gather, "times": 2}]
    with ThreadPoolExecutor(2) as pool:  # two clients at once: released together, long before
        pages = list(pool.map(lambda _: client.get(f"/orders/{MAIN}", timeout=30), range(2)))
    assert [page.status_code for page in pages] == [200, 200]
    assert [f.get("gathered") for f in served.state()["fired"]] == [2, 2]

    served.portal.faults = [{**gather, "delay_ms": 300, "times": 1}]  # one alone: waits it out
    assert client.get(f"/orders/{MAIN}").status_code == 200
    assert served.state()["fired"][-1]["gathered"] == 1


def test_gather_needs_a_longest_wait() -> None:
    buyer = Buyer("awaiting_shipment")
    bad = install(buyer, {"path": "x", "gather": 2})
    assert bad.status_code == 400 and "gather needs" in bad.text
