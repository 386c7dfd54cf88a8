"""The HTTP floor: the requests each flow needs, issued directly with httpx (no browser).

Same server, same loopback, same keep-alive connection reuse as the browser; each floor
scrapes the CSRF token from the page as a form post needs it and checks the outcome in
the response, so the work is the same, only the browser is gone. Static assets (CSS, JS)
are not fetched: a client without a browser does not need them.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx

_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
REASON = "I ordered the wrong product(s)"


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    if not found:
        raise RuntimeError("no csrf token on the page")
    return found.group(1)


def _ok(response: httpx.Response, needle: str | None = None) -> str:
    response.raise_for_status()
    if needle is not None and needle not in response.text:
        raise RuntimeError(f"{needle!r} not in {response.url}")
    return response.text


def new_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, follow_redirects=True, timeout=30)


def login(client: httpx.Client, email: str, password: str) -> None:
    """GET /orders -> /login; POST /login; POST /login/password -> /orders (4+2 requests)."""
    page = _ok(client.get("/orders"), "Email or phone number")
    page = _ok(
        client.post("/login", data={"csrf_token": _csrf(page), "next": "/orders", "email": email}),
        "Password",
    )
    _ok(
        client.post(
            "/login/password",
            data={"csrf_token": _csrf(page), "next": "/orders", "password": password},
        ),
        "My Orders",
    )


def open_orders(client: httpx.Client) -> None:
    """With a saved session: the orders page straight away."""
    _ok(client.get("/orders"), "My Orders")


def find_direct(client: httpx.Client, order_id: str) -> None:
    _ok(client.get(f"/orders/{order_id}"), order_id)


def find_search(client: httpx.Client, order_id: str) -> None:
    """The search API (what the list page's script calls), then the card's detail link."""
    data = client.get(
        "/api/orders", params={"status": "all", "q": order_id, "offset": 0, "limit": 10}
    ).json()
    url = next(o["details_url"] for o in data["orders"] if o["id"] == order_id)
    _ok(client.get(url), order_id)


def list_all(client: httpx.Client) -> int:
    """Every card, 10 per request as the page's "View orders" loads them."""
    offset, count = 0, 0
    while True:
        data = client.get(
            "/api/orders", params={"status": "all", "q": "", "offset": offset, "limit": 10}
        ).json()
        count += len(data["orders"])
        offset += len(data["orders"])
        if not data["has_more"]:
            return count


def read_order(client: httpx.Client, order_id: str) -> None:
    """The detail page holds the Payment tab (refund steps) too: one GET."""
    _ok(client.get(f"/orders/{order_id}"), order_id)


def instant_cancel(client: httpx.Client, order_id: str) -> None:
    page = _ok(client.get(f"/orders/{order_id}"), "Awaiting payment")
    _ok(
        client.post(
            f"/orders/{order_id}/cancel", data={"csrf_token": _csrf(page), "reason": REASON}
        ),
        "Your order has been canceled.",
    )


def request_and_message(client: httpx.Client, order_id: str, text: str) -> None:
    """Detail, cancel request ("No" to the report), the chat page, the message."""
    page = _ok(client.get(f"/orders/{order_id}"), "Awaiting shipment")
    _ok(
        client.post(
            f"/orders/{order_id}/cancel",
            data={"csrf_token": _csrf(page), "reason": REASON, "report": "no"},
        ),
        "Your cancellation request has been submitted.",
    )
    chat = _ok(client.get(f"/p/message/index.html?fromCode=order&orderId={quote(order_id)}"))
    _ok(
        client.post(
            "/p/message/send",
            data={"csrf_token": _csrf(chat), "orderId": order_id, "text": text},
        ),
        text,
    )
