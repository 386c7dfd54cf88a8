"""The control API under `/__mock__/` (only mounted when the server is started with it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import weight
from .faults import Fault
from .scenario import Flood, Scenario, ScenarioError, load_scenario, parse_scenario
from .state import Portal


def _portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def resolve(body: Any) -> Scenario:
    """`{"scenario": "name"}` or a full scenario body."""
    if isinstance(body, dict) and set(body) == {"scenario"} and isinstance(body["scenario"], str):
        return load_scenario(body["scenario"])
    return parse_scenario(body, "<request body>")


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


async def reset(request: Request) -> Response:
    try:
        scenario = resolve(await _json(request))
    except ScenarioError as err:
        return JSONResponse({"error": str(err)}, status_code=400)
    _portal(request).reset(scenario)
    return JSONResponse({"scenario": scenario.name, "now": scenario.now.isoformat()})


def delta_of(body: Any) -> timedelta:
    if not isinstance(body, dict) or not set(body) <= {"hours", "days", "minutes"} or not body:
        raise ValueError('give {"hours": n}, {"days": n} or {"minutes": n}')
    return timedelta(**{k: float(v) for k, v in body.items()})


async def clock(request: Request) -> Response:
    try:
        now = _portal(request).advance(delta_of(await _json(request)))
    except (ValueError, TypeError) as err:
        return JSONResponse({"error": str(err)}, status_code=400)
    return JSONResponse({"now": now.isoformat()})


async def state(request: Request) -> Response:
    return JSONResponse(_portal(request).snapshot())


async def faults(request: Request) -> Response:
    body = await _json(request)
    items = body.get("faults") if isinstance(body, dict) else body
    try:
        parsed = [Fault.model_validate(f).model_dump() for f in (items or [])]
    except ValidationError as err:
        return JSONResponse({"error": str(err)}, status_code=400)
    portal = _portal(request)
    with portal.lock:
        portal.faults = parsed
    return JSONResponse({"faults": parsed})


async def fired(request: Request) -> Response:
    """What fired since the last reset: the log and a count per kind."""
    portal = _portal(request)
    with portal.lock:
        return JSONResponse({"fired": list(portal.fired), "counts": dict(portal.fired_counts)})


async def expire(request: Request) -> Response:
    """`{"email": "..."}` (or `{}`: everyone): sign those sessions out now."""
    body = await _json(request) or {}
    email = body.get("email") if isinstance(body, dict) else None
    if email is not None and not isinstance(email, str):
        return JSONResponse({"error": "email must be a string"}, status_code=400)
    portal = _portal(request)
    n = portal.expire_sessions(email)
    portal.log_fired("expire_sessions", via="control", email=email, sessions=n)
    return JSONResponse({"expired": n, "email": email})


async def drop_request(request: Request) -> Response:
    """`{"order": "<id>"}`: the portal silently drops that order's pending request now."""
    body = await _json(request)
    order = body.get("order") if isinstance(body, dict) else None
    portal = _portal(request)
    if not isinstance(order, str) or order not in portal.orders:
        return JSONResponse({"error": 'give {"order": "<known order id>"}'}, status_code=400)
    applied = portal.drop_request(order)
    portal.log_fired("request_dropped", via="control", order=order, applied=applied)
    return JSONResponse({"order": order, "applied": applied})


async def flood(request: Request) -> Response:
    """GET: the defence's settings and figures. POST `{"settings": {...} | null,
    "clear": bool}`: switch it (null: off), `clear` forgets recent actions and blocks."""
    portal = _portal(request)
    if request.method == "POST":
        body = await _json(request)
        if not isinstance(body, dict) or not set(body) <= {"settings", "clear"}:
            return JSONResponse({"error": 'give {"settings": {...}|null, "clear": true}'}, 400)
        try:
            with portal.lock:
                if "settings" in body:
                    settings = body["settings"]
                    portal.flood_settings = (
                        None if settings is None else Flood.model_validate(settings)
                    )
                if body.get("clear"):
                    portal.flood_hits.clear()
                    portal.flood_until.clear()
        except ValidationError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
    return JSONResponse(portal.flood_snapshot())


async def page_weight(request: Request) -> Response:
    """POST `{"page_weight": "real" | "none" | {...} | null}` (null: the scenario's again)."""
    body = await _json(request)
    if not isinstance(body, dict) or set(body) != {"page_weight"}:
        return JSONResponse({"error": 'give {"page_weight": "real"|"none"|{...}|null}'}, 400)
    setting = body["page_weight"]
    try:
        weight.resolve_weight(setting)
    except (ValueError, ValidationError) as err:
        return JSONResponse({"error": str(err)}, status_code=400)
    portal = _portal(request)
    portal.weight_override = setting
    return JSONResponse({"page_weight": portal.page_weight_name()})


routes = [
    Route("/reset", reset, methods=["POST"]),
    Route("/clock", clock, methods=["POST"]),
    Route("/state", state, methods=["GET"]),
    Route("/faults", faults, methods=["POST"]),
    Route("/fired", fired, methods=["GET"]),
    Route("/sessions/expire", expire, methods=["POST"]),
    Route("/drop_request", drop_request, methods=["POST"]),
    Route("/flood", flood, methods=["GET", "POST"]),
    Route("/page_weight", page_weight, methods=["POST"]),
]
