"""The control API under `/__mock__/` (only mounted when the server is started with it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .faults import Fault
from .scenario import Scenario, ScenarioError, load_scenario, parse_scenario
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


routes = [
    Route("/reset", reset, methods=["POST"]),
    Route("/clock", clock, methods=["POST"]),
    Route("/state", state, methods=["GET"]),
    Route("/faults", faults, methods=["POST"]),
]
