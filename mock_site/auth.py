"""Sessions, CSRF, rendering helpers and the sign-in pages (two steps + optional extras)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyotp
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from .records import Session
from .state import LOCKOUT_AFTER, LOCKOUT_FOR, Portal

COOKIE = "sid"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

BAD_CREDENTIALS = "Your account name or password is incorrect."
LOCKED = (
    "Your account has been locked after too many failed sign-in attempts. Please try again later."
)
BAD_CODE = "The verification code is incorrect."
#: The code a challenge injected by a fault (`"challenge": "code"`) accepts.
INJECTED_CODE = "246810"


class LoginRequired(Exception):
    """Raised by `require_user`; the app turns it into a redirect to the sign-in page."""


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def session_of(request: Request) -> Session:
    """The session for this request (created on first use; the cookie is set on the way out)."""
    if "session" not in request.scope:
        sid, created = portal_of(request).session(request.cookies.get(COOKIE))
        request.scope["session_id"], request.scope["session"] = sid, created
    session: Session = request.scope["session"]
    return session


def with_cookie(request: Request, response: Response) -> Response:
    session_of(request)
    response.set_cookie(
        COOKIE, request.scope["session_id"], httponly=True, samesite="lax", path="/"
    )
    return response


def require_user(request: Request) -> str:
    user = session_of(request).user
    if user is None:
        raise LoginRequired
    return user


def safe_next(target: str | None, default: str = "/orders") -> str:
    """Only same-origin relative paths: no scheme, no `//host`, no backslashes."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def redirect(request: Request, url: str) -> Response:
    return with_cookie(request, RedirectResponse(url, status_code=303))


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    session = session_of(request)
    portal = portal_of(request)
    ctx = {
        "csrf": session.csrf,
        "user": session.user,
        "nuisances": portal.scenario.nuisances,
        "notice": session.notice,
        "error": session.error,
        "path": request.url.path,
        **page_extras(request),
    }
    session.notice = session.error = None  # flash messages are shown once
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    return with_cookie(request, response)


def page_extras(request: Request) -> dict[str, Any]:
    """What every page of both skins also gets: fault UI settings and the page weight."""
    from . import weight  # late import: weight is a leaf the apps mount

    portal = portal_of(request)
    ui: dict[str, int] = request.scope.get("mock.ui", {})
    overlay = ui.get("mask_ms", portal.scenario.nuisances.loading_overlay_ms)
    load = portal.page_weight()
    return {
        "ui": ui,
        "overlay_ms": overlay,
        "weight_head": weight.head_html(load),
        "weight_body": weight.body_html(load, request.url.path),
    }


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session's."""
    form = await request.form()
    if form.get("csrf_token") != session_of(request).csrf:
        raise HTTPException(403, "Invalid or missing security token.")
    return form


def _next(request: Request) -> str:
    return safe_next(request.query_params.get("next"))


def _login_url(step: str, nxt: str) -> str:
    return f"/login{step}?next={quote(nxt)}"


async def login_page(request: Request) -> Response:
    if session_of(request).user:
        return redirect(request, _next(request))
    return render(request, "login.html", {"step": "identify", "next": _next(request)})


# -- the sign-in steps, shared by both skins ---------------------------------------------
# Each returns (error, step): error is the message to show (None when the step passed);
# step is where the buyer goes next: "identify" (start again), "password", "verify",
# "captcha" or "done" (signed in).
NO_EMAIL = "Please enter your email or phone number."
SLIDE = "Please slide to verify."


def masked_email(email: str) -> str:
    return email[:1] + "***" + email[email.find("@") :]


def step_identify(request: Request, email: str) -> tuple[str | None, str]:
    portal_of(request).counts["login_identify"] += 1
    email = email.strip()
    if not email:
        return NO_EMAIL, "identify"
    session = session_of(request)
    session.pending_email, session.stage = email, None
    return None, "password"


def step_password(request: Request, password: str) -> tuple[str | None, str]:
    portal, session = portal_of(request), session_of(request)
    email = session.pending_email
    if not email:
        return None, "identify"
    with portal.lock:
        portal.counts["login_password"] += 1
        account = next((a for a in portal.scenario.accounts if a.email == email), None)
        guard = portal.guard(email)
        error = None
        if guard.locked_until is not None and portal.now < guard.locked_until:
            error = LOCKED
        elif account is None or password != account.password:
            guard.failures += 1
            error = BAD_CREDENTIALS
            if guard.failures >= LOCKOUT_AFTER:
                guard.locked_until, guard.failures, error = portal.now + LOCKOUT_FOR, 0, LOCKED
        if error is not None or account is None:
            return error or BAD_CREDENTIALS, "password"
        guard.failures, guard.locked_until = 0, None
        challenge = portal.challenges.pop(email, None)
        if account.verification is not None or challenge == "code":
            session.stage = "verify"
            session.code = INJECTED_CODE if account.verification is None else None
            return None, "verify"
        if account.captcha or challenge == "captcha":
            session.stage = "captcha"
            return None, "captcha"
        portal.sign_in(session, email)
    return None, "done"


def _account(request: Request, stage: str) -> Any:
    session = session_of(request)
    if session.stage != stage or not session.pending_email:
        return None
    portal = portal_of(request)
    return next((a for a in portal.scenario.accounts if a.email == session.pending_email), None)


def step_verify(request: Request, code: str) -> tuple[str | None, str]:
    account = _account(request, "verify")
    portal, session = portal_of(request), session_of(request)
    portal.counts["login_verify"] += 1
    if account is None or (account.verification is None and session.code is None):
        return None, "identify"
    code = code.strip()
    v = account.verification
    if v is None:
        ok = code == session.code
    else:
        ok = code == v.code if v.code else pyotp.TOTP(v.totp_secret).verify(code, valid_window=1)
    if not ok:
        return BAD_CODE, "verify"
    if account.captcha:
        session.stage = "captcha"
        return None, "captcha"
    portal.sign_in(session, account.email)
    return None, "done"


def step_captcha(request: Request, slider: str) -> tuple[str | None, str]:
    account = _account(request, "captcha")
    portal_of(request).counts["login_captcha"] += 1
    if account is None:
        return None, "identify"
    try:
        slid = float(slider)
    except ValueError:
        slid = 0
    if slid < 100:
        return SLIDE, "captcha"
    portal_of(request).sign_in(session_of(request), account.email)
    return None, "done"


def sign_out(request: Request) -> None:
    portal_of(request).counts["logout"] += 1
    session = session_of(request)
    session.user = session.pending_email = session.stage = None


# -- the accessible skin's sign-in pages ------------------------------------------------
_STEP_URLS = {"identify": "", "password": "/password", "verify": "/verify", "captcha": "/captcha"}


async def login_identify(request: Request) -> Response:
    form = await checked_form(request)
    nxt = safe_next(str(form.get("next", "")))
    error, _ = step_identify(request, str(form.get("email", "")))
    if error:
        return render(request, "login.html", {"step": "identify", "next": nxt, "error": error})
    return redirect(request, _login_url("/password", nxt))


async def password_page(request: Request) -> Response:
    session = session_of(request)
    if not session.pending_email:
        return redirect(request, _login_url("", _next(request)))
    return render(
        request,
        "login.html",
        {"step": "password", "next": _next(request), "email": session.pending_email},
    )


async def login_password(request: Request) -> Response:
    form = await checked_form(request)
    nxt = safe_next(str(form.get("next", "")))
    email = session_of(request).pending_email
    error, step = step_password(request, str(form.get("password", "")))
    if error is not None:
        return render(
            request,
            "login.html",
            {"step": "password", "next": nxt, "email": email, "error": error},
        )
    if step == "done":
        return redirect(request, nxt)
    return redirect(request, _login_url(_STEP_URLS[step], nxt))


async def verify_page(request: Request) -> Response:
    if _account(request, "verify") is None:
        return redirect(request, _login_url("", _next(request)))
    masked = masked_email(session_of(request).pending_email or "")
    return render(
        request, "login.html", {"step": "verify", "next": _next(request), "masked": masked}
    )


async def login_verify(request: Request) -> Response:
    form = await checked_form(request)
    nxt = safe_next(str(form.get("next", "")))
    email = session_of(request).pending_email or ""
    error, step = step_verify(request, str(form.get("code", "")))
    if error is not None:
        return render(
            request,
            "login.html",
            {"step": "verify", "next": nxt, "masked": masked_email(email), "error": error},
        )
    if step == "done":
        return redirect(request, nxt)
    return redirect(request, _login_url(_STEP_URLS[step], nxt))


async def captcha_page(request: Request) -> Response:
    if _account(request, "captcha") is None:
        return redirect(request, _login_url("", _next(request)))
    return render(request, "login.html", {"step": "captcha", "next": _next(request)})


async def captcha_frame(request: Request) -> Response:
    return render(request, "captcha_frame.html", {"next": _next(request)})


async def login_captcha(request: Request) -> Response:
    form = await checked_form(request)
    nxt = safe_next(str(form.get("next", "")))
    error, step = step_captcha(request, str(form.get("slider", "0")))
    if error is not None:
        session_of(request).error = error
    if step == "done":
        return redirect(request, nxt)
    return redirect(request, _login_url(_STEP_URLS[step], nxt))


async def logout(request: Request) -> Response:
    await checked_form(request)
    sign_out(request)
    return redirect(request, "/login")


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_identify, methods=["POST"]),
    Route("/login/password", password_page, methods=["GET"]),
    Route("/login/password", login_password, methods=["POST"]),
    Route("/login/verify", verify_page, methods=["GET"]),
    Route("/login/verify", login_verify, methods=["POST"]),
    Route("/login/captcha", captcha_page, methods=["GET"]),
    Route("/login/captcha/frame", captcha_frame, methods=["GET"]),
    Route("/login/captcha", login_captcha, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
