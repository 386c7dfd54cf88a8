"""The "real" skin: the buyer pages with the real site's markup, in English or Spanish.

Same state, scenarios, clock, seller behaviour, faults and control API as the accessible
skin (`state.Portal`, `auth.step_*`, `views` predicates); only the pages differ: the real
URL layout (`/p/order/index.html`, ...), a sign-in page on its own path (optionally on a
second port), placeholder-only inputs, cards and detail drawn by script from mtop-like
JSON, div tabs, `comet` modals under `<body>`, a custom reason picker, div "Send", hashed
class names that change at every app start, and no landmarks, labels or test ids.
Visible texts come from `mock_site/locales/<locale>.json`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import auth, views
from .auth import portal_of, redirect, safe_next, session_of, templates, with_cookie
from .records import OrderRec
from .scenario import ClosedReason, OrderState
from .state import SELLER_DEADLINE, UNPAID_EXPIRY, Portal

SKINS = ("accessible", "real")
LOCALES = ("en", "es")
LOCALE_DIR = Path(__file__).parent / "locales"
PAGE_SIZE = 5
ORDERS = "/p/order/index.html"
LOGIN = "/passport/login.htm"

# -- locale ------------------------------------------------------------------------------


class Locale:
    """The texts, dates, money and durations of one language (from locales/<code>.json)."""

    def __init__(self, code: str) -> None:
        if code not in LOCALES:
            raise ValueError(f"unknown locale {code!r} (known: {', '.join(LOCALES)})")
        self.code = code
        self.data: dict[str, Any] = json.loads(
            (LOCALE_DIR / f"{code}.json").read_text(encoding="utf-8")
        )
        self.texts: dict[str, str] = self.data["texts"]

    def t(self, key: str, **kw: Any) -> str:
        text = self.texts[key]
        return text.format(**kw) if kw else text

    def msg(self, english: str) -> str:
        """A message of the portal's state layer (always English) in this language."""
        server: dict[str, str] = self.data["server"]
        return server.get(english, english)

    def reason(self, english: str) -> str:
        reasons: dict[str, str] = self.data["reasons"]
        return reasons.get(english, english)

    def money(self, value: Decimal) -> str:
        m: dict[str, str] = self.data["money"]
        whole, frac = f"{value:,.2f}".split(".")
        return m["prefix"] + whole.replace(",", m["thousands"]) + m["decimal"] + frac

    def day(self, dt: datetime | None) -> str:
        if dt is None:
            return ""
        month = self.data["months"][dt.month - 1]
        return str(self.data["date"]).format(month=month, day=dt.day, year=dt.year)

    def stamp(self, dt: datetime | None) -> str:
        return f"{self.day(dt)} {dt:%H:%M}" if dt else ""

    def duration(self, delta: timedelta) -> str:
        words = self.data["duration"]
        days, hours = divmod(max(int(delta.total_seconds() // 3600), 0), 24)
        if days == 0 and hours == 0:
            return str(words["less"])
        parts = []
        if days:
            parts.append(words["day" if days == 1 else "days"].format(n=days))
        if hours:
            parts.append(words["hour" if hours == 1 else "hours"].format(n=hours))
        return " ".join(parts)


@cache
def locale(code: str) -> Locale:
    return Locale(code)


# -- hashed class names --------------------------------------------------------------------

#: Class names the page script gives to the elements it draws (sent to it as a map).
JS_CLASSES = [
    "list",
    "card",
    "card-head",
    "card-meta",
    "card-id",
    "copy",
    "details",
    "store",
    "lines",
    "line",
    "thumb",
    "line-main",
    "title",
    "sku",
    "price",
    "char",
    "qty",
    "foot",
    "total",
    "empty",
    "error",
    "toast",
    "toast-error",
    "spinner",
    "status",
    "status-title",
    "status-hint",
    "note",
    "actions",
    "dtabs",
    "dtab",
    "dpanel",
    "box",
    "box-title",
    "row",
    "row-label",
    "row-value",
    "price-rows",
    "price-row",
    "tag",
    "steps",
    "step",
    "dot",
    "step-name",
    "step-state",
    "step-date",
    "muted",
    "modal-body",
    "modal-title",
    "modal-close",
    "modal-text",
    "choice",
    "choice-title",
    "choice-desc",
    "picker",
    "picker-text",
    "picker-arrow",
    "modal-foot",
    "msg",
    "msg-me",
    "msg-them",
    "msg-meta",
    "msg-text",
    "thread",
    "store-head",
    "done",
    "in",
    "folded",
    "search-input",
    "search-btn",
    "login-err",
    "pw",
    "send",
]


class Classes:
    """Hashed class names, different at every app start (a random salt per `create_app`)."""

    def __init__(self) -> None:
        self.salt = secrets.token_hex(4)

    def __call__(self, name: str) -> str:
        digest = hashlib.sha256(f"{self.salt}:{name}".encode()).hexdigest()
        return f"_{digest[:6]}"

    def js_map(self) -> dict[str, str]:
        return {name: self(name) for name in JS_CLASSES}


# -- helpers -------------------------------------------------------------------------------


def _skin(request: Request) -> tuple[Locale, Classes]:
    return request.app.state.locale, request.app.state.classes


def detail_url(order_id: str) -> str:
    return f"/p/order/detail.html?orderId={order_id}"


def message_url(order_id: str) -> str:
    return f"/p/message/index.html?fromCode=order&orderId={order_id}&bizContext=orderDetail"


def tracking_url(order_id: str) -> str:
    return f"/p/tracking/index.html?tradeOrderId={order_id}"


def login_url(request: Request, target: str) -> str:
    """The sign-in page (on the login port when there is one), coming back to `target`."""
    port = request.app.state.login_port
    if port and request.url.port != port:
        if target.startswith("/"):
            target = f"{request.url.scheme}://{request.url.netloc}{target}"
        origin = f"{request.url.scheme}://{request.url.hostname}:{port}"
        return f"{origin}{LOGIN}?return_url={quote(target, safe='')}"
    return f"{LOGIN}?return_url={quote(target, safe='')}"


def return_url(request: Request, target: str | None) -> str:
    """A same-origin path, or an absolute URL on the same host (the shop's other port)."""
    if target and target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        if parts.hostname == request.url.hostname and parts.scheme == request.url.scheme:
            return target
        return ORDERS
    return safe_next(target, ORDERS)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    loc, h = _skin(request)
    session = session_of(request)
    portal = portal_of(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    cfg = {
        "token": session.csrf,
        "lang": loc.code,
        "h": h.js_map(),
        "t": loc.texts,
        "loginUrl": login_url(request, here),
    }
    extras = auth.page_extras(request)
    if "mask_ms" in extras["ui"]:
        cfg["maskMs"] = extras["ui"]["mask_ms"]
    if "fade_ms" in extras["ui"]:
        cfg["fadeMs"] = extras["ui"]["fade_ms"]
    ctx = {
        "t": loc.t,
        "h": h,
        "lang": loc.code,
        "user": session.user,
        "nuisances": portal.scenario.nuisances,
        "cfg": cfg,
        "path": request.url.path,
        **extras,
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, f"real/{name}", ctx, status_code=status_code)
    return with_cookie(request, response)


def mtop(api: str, data: Any, status_code: int = 200, ret: str = "SUCCESS::OK") -> JSONResponse:
    return JSONResponse(
        {"api": api, "v": "1.0", "ret": [ret], "data": data}, status_code=status_code
    )


def _fail(api: str, code: str, message: str, status_code: int) -> JSONResponse:
    return mtop(api, {"message": message}, status_code, f"{code}::{message}")


async def _json_body(request: Request) -> dict[str, Any] | None:
    """The posted JSON when its `_tb_token_` matches the session's CSRF token, else None."""
    try:
        body = await request.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("_tb_token_") != session_of(request).csrf:
        return None
    return body


# -- what an order looks like on this skin ---------------------------------------------------

STATUS_KEYS = {
    "Awaiting payment": "awaiting_payment",
    "Payment being verified": "payment_verifying",
    "Awaiting shipment": "awaiting_shipment",
    "Awaiting cancellation": "awaiting_cancellation",
    "Awaiting delivery": "awaiting_delivery",
    "Shipment canceled": "shipment_canceled",
    "Completed": "completed",
    "Canceled": "canceled",
    "Expired": "expired",
}
STATUS_CODES = {
    OrderState.AWAITING_PAYMENT: "PLACE_ORDER_SUCCESS",
    OrderState.PAYMENT_VERIFYING: "RISK_CONTROL",
    OrderState.AWAITING_SHIPMENT: "WAIT_SELLER_SEND_GOODS",
    OrderState.CANCELLATION_REQUESTED: "IN_CANCEL",
    OrderState.CANCELLATION_REJECTED: "WAIT_SELLER_SEND_GOODS",
    OrderState.SHIPPED: "WAIT_BUYER_ACCEPT_GOODS",
    OrderState.SHIPMENT_CANCELED: "SHIPMENT_CANCELED",
    OrderState.COMPLETED: "FINISH",
    OrderState.CLOSED: "FINISH",
}
#: The accessible skin's button label -> (locale key, operation type).
BUTTONS = {
    "Pay now": ("btn_pay_now", "PAY_ORDER"),
    "Cancel order": ("btn_cancel_order", "CANCEL_ORDER"),
    "Contact seller": ("btn_contact_seller", "CONTACT_SELLER"),
    "Track order": ("btn_track_order", "TRACK_ORDER"),
    "Confirm received": ("btn_confirm_received", "CONFIRM_GOODS"),
    "Add to cart": ("btn_add_to_cart", "ADD_TO_CART"),
    "Write a review": ("btn_write_review", "WRITE_REVIEW"),
    "Delete": ("btn_delete", "DELETE_ORDER"),
    "Free return": ("btn_free_return", "FREE_RETURN"),
    "Open dispute": ("btn_open_dispute", "OPEN_DISPUTE"),
}
#: Operation type -> `Portal.simple_action` kind.
OPERATIONS = {
    "PAY_ORDER": "pay",
    "CONFIRM_GOODS": "confirm",
    "ADD_TO_CART": "cart",
    "DELETE_ORDER": "delete",
    "OPEN_DISPUTE": "dispute",
    "FREE_RETURN": "return",
    "EXTEND_PROCESSING": "extend",
}
#: The list's div tabs (this skin's grouping; see docs/portal-ui.md).
TABS: list[tuple[str, str, set[OrderState]]] = [
    ("all", "tab_all", set(OrderState)),
    ("to_pay", "tab_to_pay", {OrderState.AWAITING_PAYMENT, OrderState.PAYMENT_VERIFYING}),
    (
        "processing",
        "tab_processing",
        {
            OrderState.AWAITING_SHIPMENT,
            OrderState.CANCELLATION_REQUESTED,
            OrderState.CANCELLATION_REJECTED,
            OrderState.SHIPPED,
            OrderState.SHIPMENT_CANCELED,
        },
    ),
    ("processed", "tab_processed", {OrderState.CLOSED}),
    ("completed", "tab_completed", {OrderState.COMPLETED}),
]
_TAB_STATES = {key: states for key, _, states in TABS}
_CLOSED_HINTS = {
    ClosedReason.BUYER_CANCELLED: "hint_buyer_cancelled",
    ClosedReason.SELLER_ACCEPTED: "hint_seller_accepted",
    ClosedReason.SELLER_TIMEOUT: "hint_seller_timeout",
    ClosedReason.SELLER_CANCELLED: "hint_seller_cancelled",
    ClosedReason.PLATFORM_CANCELLED: "hint_platform_cancelled",
    ClosedReason.EXPIRED: "hint_expired",
}


def in_tab(rec: OrderRec, tab: str) -> bool:
    if tab == "deleted":
        return views.in_tab(rec, "deleted")
    return not rec.deleted and rec.state in _TAB_STATES.get(tab, set(OrderState))


def status_text(loc: Locale, rec: OrderRec) -> str:
    return loc.t("status_" + STATUS_KEYS[views.status_label(rec)])


def status_hint(loc: Locale, portal: Portal, rec: OrderRec) -> str:
    s, now = rec.state, portal.now
    if s == OrderState.AWAITING_PAYMENT:
        return loc.t(
            "hint_awaiting_payment", left=loc.duration(rec.spec.placed_at + UNPAID_EXPIRY - now)
        )
    if s == OrderState.PAYMENT_VERIFYING:
        return loc.t("hint_payment_verifying")
    if s == OrderState.AWAITING_SHIPMENT:
        too_early = portal.cancel_refusal(rec) is not None
        return loc.t("hint_too_early" if too_early else "hint_preparing")
    if s == OrderState.CANCELLATION_REQUESTED and rec.requested_at:
        left = loc.duration(rec.requested_at + SELLER_DEADLINE - now)
        return loc.t("hint_requested", left=left)
    if s == OrderState.CANCELLATION_REJECTED:
        return loc.t("hint_rejected")
    if s == OrderState.SHIPPED:
        extra = loc.t("hint_free_return") if views.free_return(rec) else ""
        return loc.t("hint_shipped") + extra
    if s == OrderState.SHIPMENT_CANCELED:
        return loc.t("hint_shipment_canceled")
    if s == OrderState.CLOSED and rec.closed_reason:
        return loc.t(_CLOSED_HINTS[rec.closed_reason])
    return loc.t("hint_completed")


def buttons(loc: Locale, rec: OrderRec, labels: list[str]) -> list[dict[str, str]]:
    out = []
    for label in labels:
        key, kind = BUTTONS[label]
        button = {"type": kind, "text": loc.t(key)}
        url = {
            "CANCEL_ORDER": detail_url(rec.id) + "&action=cancel",
            "CONTACT_SELLER": message_url(rec.id),
            "TRACK_ORDER": tracking_url(rec.id),
            "WRITE_REVIEW": detail_url(rec.id),
        }.get(kind)
        if url:
            button["url"] = url
        out.append(button)
    return out


def order_lines(loc: Locale, rec: OrderRec) -> list[dict[str, Any]]:
    return [
        {
            "productTitle": i.title,
            "skuText": ", ".join(f"{k}: {v}" for k, v in i.options.items()),
            "priceText": loc.money(i.price),
            "quantityText": f"x{i.qty}",
            "color": i.color,
            "freeReturn": i.free_return,
        }
        for i in rec.spec.items
    ]


def card(loc: Locale, portal: Portal, rec: OrderRec) -> dict[str, Any]:
    return {
        "orderId": rec.id,
        "orderStatus": STATUS_CODES[rec.state],
        "statusText": status_text(loc, rec),
        "orderDateText": loc.day(rec.spec.placed_at),
        "storeName": rec.spec.store,
        "storeUrl": f"/store/{views.slug(rec.spec.store)}",
        "detailUrl": detail_url(rec.id),
        "totalPriceText": loc.money(rec.total),
        "orderLines": order_lines(loc, rec),
        "buttons": buttons(loc, rec, views.card_buttons(portal, rec)),
    }


def detail(loc: Locale, portal: Portal, rec: OrderRec) -> dict[str, Any]:
    spec, c = rec.spec, rec.spec.coupons
    discount = sum(
        (
            c.platform.amount if c.platform else Decimal("0"),
            c.seller or Decimal("0"),
            c.promo_code.amount if c.promo_code else Decimal("0"),
        ),
        Decimal("0"),
    )
    prices: list[dict[str, Any]] = [
        {"label": loc.t("price_subtotal"), "value": loc.money(rec.subtotal)},
        {"label": loc.t("price_shipping"), "value": loc.money(spec.shipping)},
    ]
    if discount:
        prices.append({"label": loc.t("price_discount"), "value": "-" + loc.money(discount)})
    prices.append({"label": loc.t("price_total"), "value": loc.money(rec.total), "total": True})
    not_paid = loc.t("not_paid")
    refund = None
    steps = portal.refund_steps(rec)
    if steps is not None:
        done = [s for s in steps if s is not None]
        coupon = None
        if c.platform:
            returned, why = portal.platform_coupon_returned(rec)
            why_key = "coupon_expired" if "expired" in why else "coupon_others"
            coupon = (
                loc.t("coupon_returned")
                if returned
                else loc.t("coupon_not_returned", why=loc.t(why_key))
            )
        refund = {
            "steps": [
                {
                    "name": loc.t(f"refund_step_{i + 1}"),
                    "done": when is not None,
                    "current": when is not None and i == len(done) - 1,
                    "stateText": loc.t("step_done" if when else "step_pending"),
                    "dateText": loc.day(when),
                }
                for i, when in enumerate(steps)
            ],
            "amountText": loc.t("refund_amount", amount=loc.money(rec.total)),
            "couponText": coupon,
        }
    can_cancel = portal.cancel_refusal(rec) is None
    return {
        **card(loc, portal, rec),
        "statusHint": status_hint(loc, portal, rec),
        "rejectedNote": (
            loc.t("rejected_note") if rec.state == OrderState.CANCELLATION_REJECTED else None
        ),
        "buttons": buttons(loc, rec, views.detail_buttons(portal, rec)),
        "infoRows": [
            {"label": loc.t("row_order_id"), "value": rec.id},
            {"label": loc.t("row_placed_on"), "value": loc.stamp(spec.placed_at)},
            {
                "label": loc.t("row_payment_method"),
                "value": spec.payment_method if rec.paid_at else not_paid,
            },
            {
                "label": loc.t("row_payment_time"),
                "value": loc.stamp(rec.paid_at) if rec.paid_at else not_paid,
            },
        ],
        "messageUrl": message_url(rec.id),
        "trackingUrl": tracking_url(rec.id),
        "priceRows": prices,
        "payment": (
            [
                loc.t("payment_received", amount=loc.money(rec.total)),
                loc.t("row_payment_time") + " " + loc.stamp(rec.paid_at),
            ]
            if rec.paid_at
            else [loc.t("no_payment")]
        ),
        "refund": refund,
        "cancel": (
            {
                "paid": rec.state == OrderState.AWAITING_SHIPMENT,
                "reasons": [
                    {"id": str(i), "text": loc.reason(r)}
                    for i, r in enumerate(portal.scenario.reasons)
                ],
            }
            if can_cancel
            else None
        ),
    }


# -- pages -----------------------------------------------------------------------------------


def _user(request: Request) -> str:
    user = session_of(request).user
    if user is None:
        raise auth.LoginRequired
    return user


def _order(request: Request, key: str = "orderId") -> tuple[Portal, OrderRec]:
    user = _user(request)
    portal = portal_of(request)
    rec = portal.order_of(user, request.query_params.get(key, ""))
    if rec is None:
        raise HTTPException(404, "order")
    return portal, rec


async def home(request: Request) -> Response:
    return render(request, "home.html")


async def login_page(request: Request) -> Response:
    target = return_url(request, request.query_params.get("return_url"))
    if session_of(request).user:
        return redirect(request, target)
    return render(request, "login.html", {"return_url": target})


async def verify_page(request: Request) -> Response:
    target = return_url(request, request.query_params.get("return_url"))
    session = session_of(request)
    if session.stage != "verify" or not session.pending_email:
        return redirect(request, login_url(request, target))
    masked = auth.masked_email(session.pending_email)
    return render(request, "verify.html", {"return_url": target, "masked": masked})


async def captcha_page(request: Request) -> Response:
    target = return_url(request, request.query_params.get("return_url"))
    session = session_of(request)
    if session.stage != "captcha" or not session.pending_email:
        return redirect(request, login_url(request, target))
    return render(request, "captcha.html", {"return_url": target})


async def captcha_frame(request: Request) -> Response:
    target = return_url(request, request.query_params.get("return_url"))
    return render(request, "captcha_frame.html", {"return_url": target})


async def logout(request: Request) -> Response:
    auth.sign_out(request)
    return redirect(request, login_url(request, ORDERS))


_STEP_PAGES = {"verify": "/passport/verify.htm", "captcha": "/passport/captcha.htm"}


async def login_api(request: Request) -> Response:
    """POST /passport/api/{step}: identify, password, verify, captcha (JSON in, JSON out)."""
    loc, _ = _skin(request)
    api = "passport.login." + request.path_params["step"]
    body = await _json_body(request)
    if body is None:
        return _fail(api, "FAIL_SYS_TOKEN", loc.msg("Invalid or missing security token."), 403)
    target = return_url(request, str(body.get("return_url") or ""))
    steps = {
        "identify": lambda: auth.step_identify(request, str(body.get("loginId", ""))),
        "password": lambda: auth.step_password(request, str(body.get("password", ""))),
        "verify": lambda: auth.step_verify(request, str(body.get("code", ""))),
        "captcha": lambda: auth.step_captcha(request, str(body.get("slider", "0"))),
    }
    if request.path_params["step"] not in steps:
        raise HTTPException(404, "page")
    error, step = steps[request.path_params["step"]]()
    if error is not None:
        return with_cookie(request, mtop(api, {"error": loc.msg(error), "step": step}))
    if step == "done":
        url = target
    elif step in _STEP_PAGES:
        url = f"{_STEP_PAGES[step]}?return_url={quote(target, safe='')}"
    elif step == "identify":
        url = login_url(request, target)
    else:
        url = None  # "password": the page shows the password field
    return with_cookie(request, mtop(api, {"step": step, "next": url}))


async def orders_page(request: Request) -> Response:
    user = _user(request)
    loc, _ = _skin(request)
    portal = portal_of(request)
    tab = request.query_params.get("tab", "all")
    if tab not in _TAB_STATES:
        tab = "all"
    mine = portal.orders_of(user)
    tabs = [
        {"key": key, "label": loc.t(label), "count": sum(in_tab(o, key) for o in mine)}
        for key, label, _ in TABS
    ]
    q = request.query_params.get("q", "")
    return render(request, "orders.html", {"tabs": tabs, "tab": tab, "q": q, "listing": "orders"})


async def deleted_page(request: Request) -> Response:
    _user(request)
    return render(
        request, "orders.html", {"tabs": [], "tab": "deleted", "q": "", "listing": "deleted"}
    )


async def detail_page(request: Request) -> Response:
    _, rec = _order(request)
    return render(request, "detail.html", {"order_id": rec.id})


async def message_page(request: Request) -> Response:
    if not request.query_params.get("orderId"):
        user = _user(request)
        portal = portal_of(request)
        loc, _ = _skin(request)
        with portal.lock:
            threads = [
                {
                    "store": o.spec.store,
                    "order_id": o.id,
                    "url": message_url(o.id),
                    "last": o.messages[-1].text,
                    "time": loc.stamp(o.messages[-1].time),
                }
                for o in portal.orders_of(user)
                if o.messages
            ]
        return render(request, "threads.html", {"threads": threads})
    _, rec = _order(request)
    return render(request, "messages.html", {"order": rec, "detail_url": detail_url(rec.id)})


async def tracking_page(request: Request) -> Response:
    _, rec = _order(request, "tradeOrderId")
    loc, _ = _skin(request)
    events = sorted(rec.tracking_events, key=lambda e: e.time, reverse=True)
    return render(
        request,
        "tracking.html",
        {
            "order": rec,
            "status": status_text(loc, rec),
            "shipped": rec.shipped_at is not None,
            "failed": rec.state == OrderState.SHIPMENT_CANCELED,
            "events": [(loc.stamp(e.time), loc.msg(e.text)) for e in events],
            "detail_url": detail_url(rec.id),
        },
    )


async def refunds_page(request: Request) -> Response:
    user = _user(request)
    loc, _ = _skin(request)
    portal = portal_of(request)
    with portal.lock:
        mine = portal.orders_of(user)
        refunds = []
        for o in mine:
            steps = portal.refund_steps(o)
            if steps is None:
                continue
            done = [i for i, s in enumerate(steps) if s is not None]
            step = loc.t(f"refund_step_{done[-1] + 1}") if done else loc.t("step_pending")
            refunds.append(
                {
                    "id": o.id,
                    "url": detail_url(o.id) + "&tab=payment",
                    "amount": loc.money(o.total),
                    "step": step,
                }
            )
        disputes = [o.id for o in mine if any(r.accepted for r in o.requests("dispute"))]
    return render(
        request,
        "refunds.html",
        {"refunds": refunds, "disputes": [(d, detail_url(d)) for d in disputes]},
    )


async def store_page(request: Request) -> Response:
    _user(request)
    portal = portal_of(request)
    slug = request.path_params["slug"]
    name = next(
        (o.spec.store for o in portal.orders.values() if views.slug(o.spec.store) == slug), None
    )
    if name is None:
        raise HTTPException(404, "store")
    return render(request, "store.html", {"store": name})


# -- JSON (mtop-like) --------------------------------------------------------------------

LIST_API = "mtop.aliexpress.trade.buyer.order.list"
DETAIL_API = "mtop.aliexpress.trade.buyer.order.detail"
OPERATION_API = "mtop.aliexpress.trade.buyer.order.operation"
THREAD_API = "mtop.aliexpress.message.thread"
SEND_API = "mtop.aliexpress.message.send"


def _session_expired(request: Request, api: str) -> JSONResponse:
    return mtop(api, {"loginUrl": ORDERS}, 401, "FAIL_SYS_SESSION_EXPIRED::Session expired")


async def list_api(request: Request) -> Response:
    user = session_of(request).user
    if user is None:
        return _session_expired(request, LIST_API)
    loc, _ = _skin(request)
    portal = portal_of(request)
    tab = request.query_params.get("tab", "all")
    q = request.query_params.get("q", "")
    try:
        page = max(int(request.query_params.get("page", "1")), 1)
        size = min(max(int(request.query_params.get("pageSize", str(PAGE_SIZE))), 1), 50)
    except ValueError:
        return _fail(LIST_API, "FAIL_BIZ_PARAM", "bad page or pageSize", 400)
    with portal.lock:
        found = [o for o in portal.orders_of(user) if in_tab(o, tab) and views.matches(o, q)]
        shown = found[(page - 1) * size : page * size]
        blocks = {
            f"pc_om_list_order_{o.id}": {
                "tag": "pc_om_list_order",
                "id": o.id,
                "fields": card(loc, portal, o),
            }
            for o in shown
        }
    return mtop(
        LIST_API,
        {
            "data": blocks,
            "hierarchy": {
                "root": "pc_om_list_body",
                "structure": {"pc_om_list_body": list(blocks)},
            },
            "global": {
                "total": len(found),
                "page": page,
                "pageSize": size,
                "hasMore": page * size < len(found),
            },
        },
    )


async def detail_api(request: Request) -> Response:
    user = session_of(request).user
    if user is None:
        return _session_expired(request, DETAIL_API)
    loc, _ = _skin(request)
    portal = portal_of(request)
    rec = portal.order_of(user, request.query_params.get("orderId", ""))
    if rec is None:
        return _fail(DETAIL_API, "FAIL_BIZ_ORDER_NOT_FOUND", loc.t("order_not_found"), 404)
    with portal.lock:
        fields = detail(loc, portal, rec)
        other = portal.orders.get(rec.injected) if rec.injected else None
        if other is not None:
            fields["injectedCard"] = card(loc, portal, other)
    return mtop(DETAIL_API, {"data": {f"pc_om_detail_{rec.id}": {"fields": fields}}})


async def operation_api(request: Request) -> Response:
    """POST {orderId, operation, reasonId?, report?, _tb_token_}: the one write endpoint."""
    user = session_of(request).user
    if user is None:
        return _session_expired(request, OPERATION_API)
    loc, _ = _skin(request)
    body = await _json_body(request)
    if body is None:
        return _fail(
            OPERATION_API, "FAIL_SYS_TOKEN", loc.msg("Invalid or missing security token."), 403
        )
    portal = portal_of(request)
    rec = portal.order_of(user, str(body.get("orderId", "")))
    if rec is None:
        return _fail(OPERATION_API, "FAIL_BIZ_ORDER_NOT_FOUND", loc.t("order_not_found"), 404)
    operation = str(body.get("operation", ""))
    if operation == "CANCEL_ORDER":
        reasons = portal.scenario.reasons
        rid = str(body.get("reasonId", ""))
        reason = reasons[int(rid)] if rid.isdigit() and int(rid) < len(reasons) else ""
        ok, message = portal.request_cancel(rec, reason, str(body.get("report") or ""))
    elif operation in OPERATIONS:
        ok, message = portal.simple_action(rec, OPERATIONS[operation])
    else:
        return _fail(OPERATION_API, "FAIL_BIZ_PARAM", loc.msg("Unknown action."), 400)
    return mtop(OPERATION_API, {"success": ok, "message": loc.msg(message)})


async def thread_api(request: Request) -> Response:
    user = session_of(request).user
    if user is None:
        return _session_expired(request, THREAD_API)
    loc, _ = _skin(request)
    portal = portal_of(request)
    rec = portal.order_of(user, request.query_params.get("orderId", ""))
    if rec is None:
        return _fail(THREAD_API, "FAIL_BIZ_ORDER_NOT_FOUND", loc.t("order_not_found"), 404)
    with portal.lock:
        messages = [
            {
                "mine": m.author == "buyer",
                "author": loc.t("you") if m.author == "buyer" else rec.spec.store,
                "timeText": loc.stamp(m.time),
                "time": m.time.isoformat(),
                "text": m.text,
            }
            for m in rec.messages
        ]
    return mtop(THREAD_API, {"orderId": rec.id, "store": rec.spec.store, "messages": messages})


async def send_api(request: Request) -> Response:
    user = session_of(request).user
    if user is None:
        return _session_expired(request, SEND_API)
    loc, _ = _skin(request)
    body = await _json_body(request)
    if body is None:
        return _fail(SEND_API, "FAIL_SYS_TOKEN", loc.msg("Invalid or missing security token."), 403)
    portal = portal_of(request)
    rec = portal.order_of(user, str(body.get("orderId", "")))
    if rec is None:
        return _fail(SEND_API, "FAIL_BIZ_ORDER_NOT_FOUND", loc.t("order_not_found"), 404)
    ok, message = portal.send_message(rec, str(body.get("text", "")))
    return mtop(SEND_API, {"success": ok, "message": loc.msg(message)})


# -- errors --------------------------------------------------------------------------------

_JSON_PREFIXES = ("/h5/", "/passport/api/")


async def on_login_required(request: Request, exc: Exception) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(login_url(request, here), status_code=303)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    loc, _ = _skin(request)
    if request.url.path.startswith(_JSON_PREFIXES):
        return _fail("mtop", f"FAIL_HTTP_{exc.status_code}", str(exc.detail), exc.status_code)
    detail = {"order": "order_not_found", "store": "store_not_found"}.get(str(exc.detail))
    return render(
        request,
        "error.html",
        {
            "title": loc.t("page_not_found") if exc.status_code == 404 else str(exc.status_code),
            "detail": loc.t(detail) if detail else "",
        },
        status_code=exc.status_code,
    )


routes = [
    Route("/", home),
    Route(LOGIN, login_page),
    Route("/passport/verify.htm", verify_page),
    Route("/passport/captcha.htm", captcha_page),
    Route("/passport/captcha_frame.htm", captcha_frame),
    Route("/passport/logout.htm", logout),
    Route("/passport/api/{step:str}", login_api, methods=["POST"]),
    Route(ORDERS, orders_page),
    Route("/p/order/deleted.html", deleted_page),
    Route("/p/order/detail.html", detail_page),
    Route("/p/message/index.html", message_page),
    Route("/p/tracking/index.html", tracking_page),
    Route("/p/refund-dispute/index.html", refunds_page),
    Route("/store/{slug:str}", store_page),
    Route(f"/h5/{LIST_API}/1.0/", list_api),
    Route(f"/h5/{DETAIL_API}/1.0/", detail_api),
    Route(f"/h5/{OPERATION_API}/1.0/", operation_api, methods=["POST"]),
    Route(f"/h5/{THREAD_API}/1.0/", thread_api),
    Route(f"/h5/{SEND_API}/1.0/", send_api, methods=["POST"]),
]
