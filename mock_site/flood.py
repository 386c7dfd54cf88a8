"""The portal's flood defence (issue 19): too many actions by one account, too fast.

Off unless the scenario has `flood` (or `POST /__mock__/flood` sets it). After
`max_actions` counted requests of one signed-in account within `window_s` seconds, that
account's next request and every request during `cooldown_s` get the defence's answer
instead of the page; the request is not applied. Counted: state-changing requests (POSTs
outside sign-in) with `count="actions"`, or every page and JSON call with
`count="requests"`; never static files, page-weight assets, beacons or sign-in pages.

Wall time, not the simulated clock: the real defence reacts to how fast requests arrive,
and the simulated clock jumps by days between commands (a jump would either forgive or
punish everything). `Portal.clock` (time.monotonic) can be replaced in tests.

The answer: real skin, pages get a 302 to `/_____tmd_____/punish?x5secdata=…&x5referer=…`
(a slider captcha "Please slide to verify" as on the real site; sliding it lifts the
block, as a person solving it would) and JSON calls an mtop `FAIL_SYS_USER_VALIDATE`
answer with the punish URL in `data.url` (the page script goes there). Accessible skin:
HTTP 429 with a page headed "Security check" ("Too many requests…"), or JSON
`{"error": "too many requests"}` for /api/orders; both with Retry-After.
"""

from __future__ import annotations

import math
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import COOKIE, portal_of, render, session_of
from .state import Portal

PUNISH = "/_____tmd_____/punish"
EXEMPT = (
    "/__mock__",
    "/static",
    "/cdn/",
    "/beacon",
    "/login",
    "/logout",
    "/passport/",
    "/_____tmd_____/",
)
TOO_MANY = "Too many requests. Please wait a few minutes and try again."


def check(portal: Portal, email: str, counted: bool) -> float | None:
    """Count one request of `email`; the seconds left of its block, or None if it passes."""
    settings = portal.flood_settings
    if settings is None:
        return None
    with portal.lock:
        now = portal.clock()
        until = portal.flood_until.get(email)
        if until is not None and now < until:
            portal.flood_blocked[email] += 1
            return until - now
        if until is not None:
            del portal.flood_until[email]
            portal.flood_hits[email] = []
        if not counted:
            return None
        hits = [t for t in portal.flood_hits.get(email, []) if t > now - settings.window_s]
        if len(hits) >= settings.max_actions:
            portal.flood_until[email] = now + settings.cooldown_s
            portal.flood_triggered[email] += 1
            portal.flood_blocked[email] += 1
            portal.flood_hits[email] = []
            portal.log_fired("flood", email=email)
            return settings.cooldown_s
        portal.flood_hits[email] = [*hits, now]
        return None


def lift(portal: Portal, email: str) -> None:
    with portal.lock:
        portal.flood_until.pop(email, None)
        portal.flood_hits[email] = []


def _user(portal: Portal, scope: Scope) -> str | None:
    headers = dict(scope.get("headers") or [])
    raw = headers.get(b"cookie", b"").decode("latin-1")
    cookie = SimpleCookie()
    try:
        cookie.load(raw)
    except Exception:  # a malformed cookie header: nobody
        return None
    sid = cookie[COOKIE].value if COOKIE in cookie else None
    session = portal.sessions.get(sid) if sid else None
    return session.user if session else None


class FloodMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        portal: Portal = scope["app"].state.portal
        if portal.flood_settings is None:
            await self.app(scope, receive, send)
            return
        email = _user(portal, scope)
        if email is None:
            await self.app(scope, receive, send)
            return
        counted = scope["method"] == "POST" or portal.flood_settings.count == "requests"
        left = check(portal, email, counted)
        if left is None:
            await self.app(scope, receive, send)
            return
        response = _answer(Request(scope, receive), left)
        await response(scope, receive, send)


def _answer(request: Request, left: float) -> Response:
    retry = {"retry-after": str(max(math.ceil(left), 1))}
    skin = getattr(request.app.state, "skin", "accessible")
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if skin == "real":
        url = f"{PUNISH}?x5secdata={secrets.token_hex(16)}&x5step=2&action=captcha"
        url += f"&x5referer={quote(here, safe='')}"
        if request.url.path.startswith("/h5/"):
            body: dict[str, Any] = {
                "api": request.url.path.removeprefix("/h5/").removesuffix("/1.0/"),
                "v": "1.0",
                "ret": ["FAIL_SYS_USER_VALIDATE::Sorry, too many requests"],
                "data": {"url": url},
            }
            return JSONResponse(body, headers=retry)
        return RedirectResponse(url, status_code=302, headers=retry)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "too many requests"}, status_code=429, headers=retry)
    response = render(request, "flood.html", {"message": TOO_MANY}, status_code=429)
    response.headers.update(retry)
    return response


async def punish_page(request: Request) -> Response:
    from . import real  # late import: real builds on auth like this module

    referer = real.return_url(request, request.query_params.get("x5referer"))
    return real.render(request, "punish.html", {"return_url": referer})


async def punish_slide(request: Request) -> Response:
    """The slider solved: the block of this session's account is lifted."""
    from . import real

    body = await real._json_body(request)
    session = session_of(request)
    if body is None or session.user is None or str(body.get("slider")) != "100":
        return real.mtop("punish.slide", {"ok": False})
    lift(portal_of(request), session.user)
    referer = real.return_url(request, str(body.get("return_url") or ""))
    return real.mtop("punish.slide", {"ok": True, "next": referer})


routes = [
    Route(PUNISH, punish_page, methods=["GET"]),
    Route("/_____tmd_____/slide", punish_slide, methods=["POST"]),
]
