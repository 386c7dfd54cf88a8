"""The one place where a response can be delayed, failed, dropped or replaced.

Faults are stored on the portal (`POST /__mock__/faults`) and matched by method and a
regular expression on the path. `when="before"` acts instead of / before the app;
`when="after"` lets the app run (its state change happens) and then delays or replaces
the response, which is how a "the click worked but the page never came back" failure
looks. The scenario's `nuisances.slow_ms` delays every page and the orders JSON.

Besides a status, a fault can drop the connection, never answer, redirect elsewhere,
rewrite the page's text (a renamed button, an unknown label), sign every session out,
demand a captcha or a code at the next sign-in, or make the seller act at that moment.
A `gather` fault holds its first matching requests until that many are in flight
together (the first group only: use `times` to bound it), which shows whether a client
really works on several pages at once. Every fault that fires is logged
in the state's `fired` list (kind, method, path; `gathered` for a gather; the fault's
`label` when it has one) and counted per kind in `fired_counts`.

Faults added for issue 15 (both skins unless noted):
- `drop_request`: the portal silently drops the order's confirmed cancellation request
  (the order is back at "Awaiting shipment", "Cancel order" offered, nothing pending);
- `api`: aim at one of the pages' JSON calls by name (list, detail, operation, thread,
  send; the accessible skin has only `list`, /api/orders) instead of `path`; a `status`
  then answers with the skin's JSON error body (mtop-like on the real skin);
- `mask_ms` / `fade_ms`: the page the fault matches keeps its loading masks (the real
  skin's modal masks and the page mask; the accessible skin's loading overlay) for that
  long, or fades its modal in over that long (a slow zoom that keeps it moving).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Paths of the page-weight payload (weight.py): never slowed by the `slow_ms` nuisance.
WEIGHT_PREFIXES = ("/cdn/", "/beacon")

#: A client that never gives up is cut off after this long (a "hang" is not a leak).
HANG_LIMIT_S = 600


class SellerEvent(BaseModel):
    """The seller (or the thread) acting on one order at the moment the fault fires."""

    model_config = ConfigDict(extra="forbid")

    order: str = Field(pattern=r"^\d{16}$")
    do: Literal["accept", "reject", "ship", "cancel", "reply", "drop"]
    text: str = Field(default="Hello, we are looking into it.", min_length=1)


#: The pages' JSON calls a fault can name with `api` (per skin: a path regex).
API_PATHS: dict[str, dict[str, str]] = {
    "real": {
        "list": r"^/h5/mtop\.aliexpress\.trade\.buyer\.order\.list/",
        "detail": r"^/h5/mtop\.aliexpress\.trade\.buyer\.order\.detail/",
        "operation": r"^/h5/mtop\.aliexpress\.trade\.buyer\.order\.operation/",
        "thread": r"^/h5/mtop\.aliexpress\.message\.thread/",
        "send": r"^/h5/mtop\.aliexpress\.message\.send/",
    },
    "accessible": {"list": r"^/api/orders$"},
}


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        default="", description="regular expression searched in the request path ('' with api)"
    )
    label: str | None = Field(
        default=None, description="a name copied into the `fired` log (a campaign's plan)"
    )
    api: Literal["list", "detail", "operation", "thread", "send"] | None = Field(
        default=None, description="aim at this JSON call of the skin instead of `path`"
    )
    drop_request: str | None = Field(
        default=None,
        pattern=r"^\d{16}$",
        description="silently drop this order's pending cancellation request",
    )
    mask_ms: int | None = Field(
        default=None, ge=0, le=60_000, description="the matched page's loading masks last this long"
    )
    fade_ms: int | None = Field(
        default=None, ge=0, le=60_000, description="the matched page's modal fades in this slowly"
    )
    method: str | None = None
    when: Literal["before", "after"] = "before"
    delay_ms: int = Field(default=0, ge=0, le=120_000)
    status: int | None = Field(default=None, ge=100, le=599)
    body: str = "Injected fault"
    times: int | None = Field(default=None, ge=1, description="None: every matching request")
    skip: int = Field(default=0, ge=0, description="let this many matches through first")
    drop: bool = Field(default=False, description="close the connection without a response")
    hang: bool = Field(default=False, description="never answer (until the client gives up)")
    redirect: str | None = Field(default=None, description="answer 303 to this URL")
    replace: dict[str, str] = Field(
        default_factory=dict, description="text replaced in the response (a changed page)"
    )
    expire_sessions: bool = Field(default=False, description="sign every session out")
    challenge: Literal["captcha", "code"] | None = Field(
        default=None, description="demanded at the next sign-in of `email` (or every account)"
    )
    email: str | None = Field(default=None, description="whom expiry/challenge concern")
    seller: SellerEvent | None = None
    gather: int | None = Field(
        default=None,
        ge=2,
        le=16,
        description="hold the first matching requests until this many are held at once "
        "(at most delay_ms), then let them through; later matches pass at once",
    )

    @model_validator(mode="after")
    def _one_answer(self) -> Fault:
        answers = [self.status is not None, self.drop, self.hang, self.redirect is not None]
        if sum(answers) > 1:
            raise ValueError("give at most one of status, drop, hang, redirect")
        if self.gather is not None and (self.when != "before" or not self.delay_ms):
            raise ValueError("gather needs when=before and delay_ms (the longest wait)")
        if self.replace and any(answers):
            raise ValueError("replace rewrites the app's own answer: no status/drop/hang/redirect")
        if not self.path and self.api is None:
            raise ValueError("give path or api")
        if (self.mask_ms is not None or self.fade_ms is not None) and any(answers):
            raise ValueError("mask_ms/fade_ms change the app's own page: no status/drop/hang")
        return self


def kind_of(fault: dict[str, Any]) -> str:
    """A short name for what the fault does (for the `fired` log and campaign figures)."""
    if fault.get("challenge"):
        return f"challenge_{fault['challenge']}"
    if fault.get("drop_request") or (fault.get("seller") or {}).get("do") == "drop":
        return "request_dropped"
    if fault.get("mask_ms") is not None:
        return "slow_mask"
    if fault.get("fade_ms") is not None:
        return "slow_modal"
    if fault.get("api"):
        if fault.get("status") is not None:
            return f"json_http_{fault['status']}_{fault['when']}"
        if not any(fault.get(k) for k in ("drop", "hang", "expire_sessions", "redirect", "seller")):
            return "json_slow" if fault.get("delay_ms") else "json"
    for key in ("drop", "hang", "expire_sessions"):
        if fault.get(key):
            return key
    if fault.get("seller"):
        return f"seller_{fault['seller']['do']}"
    if fault.get("gather"):
        return "gather"
    if fault.get("redirect"):
        return "redirect"
    if fault.get("replace"):
        return "changed_page"
    if fault.get("status") is not None:
        return f"http_{fault['status']}_{fault['when']}"
    return "slow"


def answers_in_place(fault: dict[str, Any]) -> bool:
    """Whether the fault answers the request itself (a drop, a hang, a redirect, a status),
    so the app never sees it and an "after" fault at the same request does not meet it."""
    return any(fault.get(k) for k in ("drop", "hang")) or any(
        fault.get(k) is not None for k in ("redirect", "status")
    )


def _pattern(fault: dict[str, Any], skin: str) -> str | None:
    if fault.get("api"):
        return API_PATHS.get(skin, {}).get(fault["api"])
    return str(fault["path"])


def _match(
    faults: list[dict[str, Any]], scope: Scope, when: str, skin: str = "accessible"
) -> dict[str, Any] | None:
    for fault in faults:
        if fault["when"] != when or fault.get("times") == 0:
            continue
        if fault["method"] and fault["method"].upper() != scope["method"]:
            continue
        pattern = _pattern(fault, skin)
        if pattern is not None and re.search(pattern, scope["path"]):
            if fault.get("skip"):
                fault["skip"] -= 1
                continue
            if fault.get("times") is not None:
                fault["times"] -= 1
            return fault
    return None


class _Gathering:
    """The requests one gather fault holds: how many arrived, and whether enough did."""

    def __init__(self, fault: dict[str, Any]) -> None:
        self.fault = fault  # kept alive with it, so its id() is never reused
        self.arrived = 0
        self.full = asyncio.Event()


_gatherings: dict[int, _Gathering] = {}


async def _gather(fault: dict[str, Any]) -> int:
    """Hold this request until ``gather`` are held (or ``delay_ms`` passed): how many were."""
    group = _gatherings.setdefault(id(fault), _Gathering(fault))
    group.arrived += 1
    if group.arrived >= fault["gather"]:
        group.full.set()
    try:
        async with asyncio.timeout(fault["delay_ms"] / 1000):
            await group.full.wait()
    except TimeoutError:
        pass
    return group.arrived


async def _until_disconnect(receive: Receive) -> None:
    """Read (and drop) whatever the client still sends until it goes away."""
    async with asyncio.timeout(HANG_LIMIT_S):
        while (await receive())["type"] != "http.disconnect":
            pass


def _close_connection(scope: Scope) -> None:
    # The server's own send is kept by `PortalApp`; uvicorn's cycle owns the transport.
    transport = getattr(scope.get("mock.server_send_owner"), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("injected dropped connection")
    transport.close()


class FaultMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/__mock__", "/static")):
            await self.app(scope, receive, send)
            return
        portal = scope["app"].state.portal
        skin = getattr(scope["app"].state, "skin", "accessible")
        slow = portal.scenario.nuisances.slow_ms
        if slow and scope["method"] == "GET" and not scope["path"].startswith(WEIGHT_PREFIXES):
            await asyncio.sleep(slow / 1000)
        before = _match(portal.faults, scope, "before", skin)
        if before is not None:
            for key in ("mask_ms", "fade_ms"):
                if before.get(key) is not None:
                    scope.setdefault("mock.ui", {})[key] = before[key]
        if before is not None and before.get("gather"):
            gathered = await _gather(before)
            portal.fault_fired(before, scope["method"], scope["path"], gathered=gathered)
        elif before is not None:
            portal.fault_fired(before, scope["method"], scope["path"])
            await asyncio.sleep(before["delay_ms"] / 1000)
            if await self._answer(before, scope, receive, send):
                return
        after = _match(portal.faults, scope, "after", skin)
        if after is None and not (before and before["replace"]):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        if after is not None:
            portal.fault_fired(after, scope["method"], scope["path"])
            await asyncio.sleep(after["delay_ms"] / 1000)
            if await self._answer(after, scope, receive, send):
                return
        replace = {**(before["replace"] if before else {}), **(after["replace"] if after else {})}
        for message in _rewritten(held, replace):
            await send(message)

    async def _answer(
        self, fault: dict[str, Any], scope: Scope, receive: Receive, send: Send
    ) -> bool:
        """Answer in the app's place when the fault says how; False lets the app's answer go."""
        if not answers_in_place(fault):
            return False
        response: Response | None = None
        if fault["drop"]:
            _close_connection(scope)
            await _until_disconnect(receive)
            return True
        if fault["hang"]:
            await _until_disconnect(receive)
            return True
        if fault["redirect"] is not None:
            response = RedirectResponse(fault["redirect"], status_code=303)
        elif fault["status"] is not None and fault.get("api"):
            response = _json_error(fault, scope)
        elif fault["status"] is not None:
            response = PlainTextResponse(fault["body"], status_code=fault["status"])
        if response is None:
            return False
        await response(scope, receive, send)
        return True


def _json_error(fault: dict[str, Any], scope: Scope) -> Response:
    """A failing JSON call as the skin's own script sees one (mtop-like on the real skin)."""
    status = fault["status"]
    if getattr(scope["app"].state, "skin", "accessible") == "real":
        api = re.sub(r"^/h5/|/1\.0/$", "", scope["path"])
        code = "FAIL_SYS_SERVICE_UNAVAILABLE" if status >= 500 else f"FAIL_HTTP_{status}"
        body = {"api": api, "v": "1.0", "ret": [f"{code}::{fault['body']}"], "data": {}}
        return JSONResponse(body, status_code=status)
    return JSONResponse({"error": fault["body"]}, status_code=status)


def _rewritten(held: list[Message], replace: dict[str, str]) -> list[Message]:
    """The held response with its text replaced (and its length fixed)."""
    starts = [m for m in held if m["type"] == "http.response.start"]
    if not replace or not starts:
        return held
    body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
    text = body.decode("utf-8", errors="replace")
    for old, new in replace.items():
        text = text.replace(old, new)
    data = text.encode("utf-8")
    start = dict(starts[0])
    headers = MutableHeaders(raw=list(start["headers"]))
    headers["content-length"] = str(len(data))
    start["headers"] = headers.raw
    others = [m for m in held if not m["type"].startswith("http.response.")]
    others += [m for m in held if m["type"] == "http.response.debug"]
    return [*others, start, {"type": "http.response.body", "body": data, "more_body": False}]
