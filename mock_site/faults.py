"""The one place where a response can be delayed, failed or replaced.

Faults are stored on the portal (`POST /__mock__/faults`) and matched by method and a
regular expression on the path. `when="before"` acts instead of / before the app;
`when="after"` lets the app run (its state change happens) and then delays or replaces
the response, which is how a "the click worked but the page never came back" failure
looks. The scenario's `nuisances.slow_ms` delays every page and the orders JSON.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="regular expression searched in the request path")
    method: str | None = None
    when: Literal["before", "after"] = "before"
    delay_ms: int = Field(default=0, ge=0, le=120_000)
    status: int | None = Field(default=None, ge=100, le=599)
    body: str = "Injected fault"
    times: int | None = Field(default=None, ge=1, description="None: every matching request")


def _match(faults: list[dict[str, Any]], scope: Scope, when: str) -> dict[str, Any] | None:
    for fault in faults:
        if fault["when"] != when or fault.get("times") == 0:
            continue
        if fault["method"] and fault["method"].upper() != scope["method"]:
            continue
        if re.search(fault["path"], scope["path"]):
            if fault.get("times") is not None:
                fault["times"] -= 1
            return fault
    return None


class FaultMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/__mock__", "/static")):
            await self.app(scope, receive, send)
            return
        portal = scope["app"].state.portal
        slow = portal.scenario.nuisances.slow_ms
        if slow and scope["method"] == "GET":
            await asyncio.sleep(slow / 1000)
        before = _match(portal.faults, scope, "before")
        if before is not None:
            await asyncio.sleep(before["delay_ms"] / 1000)
            if before["status"] is not None:
                response = PlainTextResponse(before["body"], status_code=before["status"])
                await response(scope, receive, send)
                return
        after = _match(portal.faults, scope, "after")
        if after is None:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(after["delay_ms"] / 1000)
        if after["status"] is not None:
            response = PlainTextResponse(after["body"], status_code=after["status"])
            await response(scope, receive, send)
            return
        for message in held:
            await send(message)
