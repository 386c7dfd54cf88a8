"""The buyer pages: My Orders, order detail, cancel, messages, tracking, refunds."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from . import auth, control, faults, flood, real, views, weight
from .auth import checked_form, portal_of, redirect, render, require_user, safe_next, session_of
from .records import OrderRec
from .scenario import OrderState, Scenario, load_scenario
from .state import Portal

PAGE_SIZE = 10
ACTIONS = {
    "pay": "pay",
    "extend": "extend",
    "confirm": "confirm",
    "delete": "delete",
    "cart": "cart",
    "dispute": "dispute",
    "return": "return",
}


def _order(request: Request) -> tuple[Portal, OrderRec]:
    user = require_user(request)
    portal = portal_of(request)
    rec = portal.order_of(
        user, request.path_params.get("order_id") or request.query_params.get("orderId", "")
    )
    if rec is None:
        raise HTTPException(404, "We couldn't find that order.")
    return portal, rec


async def home(request: Request) -> Response:
    return redirect(request, "/orders")


async def orders_page(request: Request) -> Response:
    user = require_user(request)
    portal = portal_of(request)
    status = request.query_params.get("status", "all")
    if status not in views.TAB_STATES and status != "all":
        status = "all"
    q = request.query_params.get("q", "")
    mine = portal.orders_of(user)
    tabs = [
        {
            "key": key,
            "label": f"{label} ({sum(views.in_tab(o, key) for o in mine)})",
            "selected": key == status,
        }
        for key, label in views.TABS
    ]
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(
        request,
        "orders.html",
        {"tabs": tabs, "status": status, "q": q, "listing": "orders", "back": back},
    )


async def orders_api(request: Request) -> Response:
    user = session_of(request).user
    if user is None:
        return JSONResponse({"error": "not signed in"}, status_code=401)
    portal = portal_of(request)
    status = request.query_params.get("status", "all")
    q = request.query_params.get("q", "")
    try:
        offset = max(int(request.query_params.get("offset", "0")), 0)
        limit = min(max(int(request.query_params.get("limit", str(PAGE_SIZE))), 1), 50)
    except ValueError:
        return JSONResponse({"error": "bad offset or limit"}, status_code=400)
    with portal.lock:
        found = [
            o for o in portal.orders_of(user) if views.in_tab(o, status) and views.matches(o, q)
        ]
        cards = [views.card(portal, o) for o in found[offset : offset + limit]]
    return JSONResponse(
        {"orders": cards, "total": len(found), "has_more": offset + limit < len(found)}
    )


async def deleted_page(request: Request) -> Response:
    require_user(request)
    return render(
        request,
        "orders.html",
        {"listing": "deleted", "status": "deleted", "q": "", "back": "/orders/deleted"},
    )


async def detail_page(request: Request) -> Response:
    portal, rec = _order(request)
    with portal.lock:
        ctx = views.order_context(portal, rec)
        other = portal.orders.get(rec.injected) if rec.injected else None
        ctx["injected"] = views.card(portal, other) if other is not None else None
    tab = "payment" if request.query_params.get("tab") == "payment" else "order"
    open_cancel = request.query_params.get("cancel") == "1" and ctx["can_cancel"]
    return render(request, "detail.html", {**ctx, "tab": tab, "open_cancel": open_cancel})


async def cancel_order(request: Request) -> Response:
    portal, rec = _order(request)
    form = await checked_form(request)
    ok, message = portal.request_cancel(
        rec, str(form.get("reason", "")), str(form.get("report", ""))
    )
    session = session_of(request)
    if ok:
        session.notice = message
    else:
        session.error = message
    return redirect(request, f"/orders/{rec.id}")


async def order_action(request: Request) -> Response:
    portal, rec = _order(request)
    kind = ACTIONS.get(request.path_params["action"])
    if kind is None:
        raise HTTPException(404, "We couldn't find that page.")
    form = await checked_form(request)
    ok, message = portal.simple_action(rec, kind)
    session = session_of(request)
    if ok:
        session.notice = message
    else:
        session.error = message
    return redirect(request, safe_next(str(form.get("back", "")), f"/orders/{rec.id}"))


async def tracking_page(request: Request) -> Response:
    _, rec = _order(request)
    shipped = rec.shipped_at is not None
    events = sorted(rec.tracking_events, key=lambda e: e.time, reverse=True)
    return render(
        request,
        "tracking.html",
        {
            "order": rec,
            "status": views.status_label(rec),
            "shipped": shipped,
            "failed": rec.state == OrderState.SHIPMENT_CANCELED,
            "events": [(views.stamp(e.time), e.text) for e in events],
        },
    )


async def message_page(request: Request) -> Response:
    portal, rec = _order(request)
    with portal.lock:
        msgs = [
            {
                "author": "You" if m.author == "buyer" else rec.spec.store,
                "time": views.stamp(m.time),
                "iso": m.time.isoformat(),
                "text": m.text,
            }
            for m in rec.messages
        ]
    return render(request, "messages.html", {"order": rec, "messages": msgs})


async def send_message(request: Request) -> Response:
    form = await checked_form(request)
    user = require_user(request)
    portal = portal_of(request)
    rec = portal.order_of(user, str(form.get("orderId", "")))
    if rec is None:
        raise HTTPException(404, "We couldn't find that order.")
    ok, message = portal.send_message(rec, str(form.get("text", "")))
    session = session_of(request)
    if ok:
        session.notice = message
    else:
        session.error = message
    return redirect(request, views.message_url(rec.id))


async def threads_page(request: Request) -> Response:
    user = require_user(request)
    portal = portal_of(request)
    with portal.lock:
        threads = [
            {
                "store": o.spec.store,
                "order_id": o.id,
                "url": views.message_url(o.id),
                "last": o.messages[-1].text,
                "time": views.stamp(o.messages[-1].time),
            }
            for o in portal.orders_of(user)
            if o.messages
        ]
    return render(request, "threads.html", {"threads": threads})


async def refunds_page(request: Request) -> Response:
    user = require_user(request)
    portal = portal_of(request)
    with portal.lock:
        mine = portal.orders_of(user)
        refunds = []
        for o in mine:
            view = views.refund_view(portal, o)
            if view is not None:
                done = [s["name"] for s in view["steps"] if s["done"]]
                refunds.append(
                    {"id": o.id, "amount": view["amount"], "step": done[-1] if done else "Pending"}
                )
        disputes = [o.id for o in mine if any(r.accepted for r in o.requests("dispute"))]
    return render(request, "refunds.html", {"refunds": refunds, "disputes": disputes})


async def store_page(request: Request) -> Response:
    require_user(request)
    portal = portal_of(request)
    slug = request.path_params["slug"]
    name = next(
        (o.spec.store for o in portal.orders.values() if views.slug(o.spec.store) == slug), None
    )
    if name is None:
        raise HTTPException(404, "We couldn't find that store.")
    return render(request, "store.html", {"store": name})


async def on_login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {404: "Page not found", 403: "Forbidden", 405: "Method not allowed"}
    return render(
        request,
        "error.html",
        {"title": titles.get(exc.status_code, "Error"), "detail": exc.detail},
        status_code=exc.status_code,
    )


class PortalApp(Starlette):
    """The portal's ASGI app; keeps the server's own `send` owner for a dropped connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # uvicorn's `send` is a bound method of the request cycle, which owns the transport.
        scope["mock.server_send_owner"] = getattr(send, "__self__", None)
        await super().__call__(scope, receive, send)


def create_app(
    scenario: Scenario | str = "demo",
    control_api: bool = False,
    skin: str | None = None,
    locale: str | None = None,
    login_port: int | None = None,
    page_weight: Any = None,
) -> Starlette:
    """The ASGI app; `control_api` adds the `/__mock__/` endpoints for tests and demos.

    `skin` ("accessible" or "real") and `locale` ("en" or "es", the real skin only) default
    to the scenario's `skin`/`locale` fields, then to accessible/en. They are fixed for the
    app's life (a reset to another scenario keeps them). `login_port`: the real skin's
    sign-in pages are reached on that port of the same host (see `serve_sockets`).
    `page_weight` ("none", "real" or a PageWeight) wins over the scenario's `page_weight`.
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    skin = skin or scenario.skin or "accessible"
    locale = locale or scenario.locale or "en"
    if skin not in real.SKINS:
        raise ValueError(f"unknown skin {skin!r} (known: {', '.join(real.SKINS)})")
    loc = real.locale(locale)  # validates the code
    if page_weight is not None:
        weight.resolve_weight(page_weight)  # validates it
    if skin == "real":
        app = _real_app(scenario, control_api, loc, login_port)
        app.state.portal.weight_override = page_weight
        return app
    routes = [
        Route("/", home),
        Route("/orders", orders_page),
        Route("/api/orders", orders_api),
        Route("/orders/deleted", deleted_page),
        Route("/orders/{order_id:str}", detail_page),
        Route("/orders/{order_id:str}/tracking", tracking_page),
        Route("/orders/{order_id:str}/cancel", cancel_order, methods=["POST"]),
        Route("/orders/{order_id:str}/{action:str}", order_action, methods=["POST"]),
        Route("/p/message/index.html", message_page),
        Route("/p/message/send", send_message, methods=["POST"]),
        Route("/messages", threads_page),
        Route("/refunds", refunds_page),
        Route("/store/{slug:str}", store_page),
        *auth.routes,
        *weight.routes,
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    if control_api:
        routes.insert(0, Mount("/__mock__", routes=control.routes))
    app = PortalApp(
        routes=routes,
        middleware=[Middleware(faults.FaultMiddleware), Middleware(flood.FloodMiddleware)],
        exception_handlers={auth.LoginRequired: on_login_required, HTTPException: on_http_error},
    )
    app.state.portal = Portal(scenario)
    app.state.portal.weight_override = page_weight
    app.state.skin, app.state.locale = skin, loc
    return app


def _real_app(
    scenario: Scenario, control_api: bool, loc: real.Locale, login_port: int | None
) -> Starlette:
    routes = [
        *real.routes,
        *flood.routes,
        *weight.routes,
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    if control_api:
        routes.insert(0, Mount("/__mock__", routes=control.routes))
    app = PortalApp(
        routes=routes,
        middleware=[Middleware(faults.FaultMiddleware), Middleware(flood.FloodMiddleware)],
        exception_handlers={
            auth.LoginRequired: real.on_login_required,
            HTTPException: real.on_http_error,
        },
    )
    app.state.portal = Portal(scenario)
    app.state.skin, app.state.locale = "real", loc
    app.state.classes = real.Classes()  # new hashed class names at every start
    app.state.login_port = login_port
    return app
