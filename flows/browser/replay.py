"""Serve a recorded HAR to the browser, in order, with no server at all.

Playwright's ``route_from_har`` matches URL, method and POST body but answers a repeated
request with the same recorded response; the flows read an order's page before and after
cancelling it (same GET, different answers). This router keeps, for each request key, the
recorded answers in order and serves them one after another (the last one repeats), and
aborts anything that was never recorded, naming it.
"""

from __future__ import annotations

import base64
import json
import logging
from collections import defaultdict, deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Route

log = logging.getLogger(__name__)

_DROP_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "set-cookie"}
Key = tuple[str, str, str]


class HarReplayer:
    """Answers requests from a HAR file, in recorded order per (method, URL, body)."""

    def __init__(self, har_path: Path, routes: dict[str, str | None] | None = None) -> None:
        """``routes``: the portal routes the recorded run started from (its meta.json)."""
        self.routes = dict(routes or {})
        entries: list[dict[str, Any]] = json.loads(har_path.read_text("utf-8"))["log"]["entries"]
        self.answers: dict[Key, deque[dict[str, Any]]] = defaultdict(deque)
        for entry in entries:
            request = entry["request"]
            body = (request.get("postData") or {}).get("text", "")
            self.answers[(request["method"], request["url"], body)].append(entry["response"])
        self.missing: list[str] = []

    def install(self, context: BrowserContext) -> None:
        """Route every request of the context through the recording."""
        context.route("**/*", self._answer)

    def _answer(self, route: Route) -> None:
        request = route.request
        key = (request.method, request.url, request.post_data or "")
        queue = self.answers.get(key)
        if not queue:
            self.missing.append(f"{request.method} {request.url}")
            log.error("not in the recording: %s %s", request.method, request.url)
            route.abort("blockedbyclient")
            return
        response = queue.popleft() if len(queue) > 1 else queue[0]
        content = response.get("content") or {}
        text = content.get("text", "")
        body = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
        headers = {
            h["name"]: h["value"]
            for h in response.get("headers", [])
            if h["name"].lower() not in _DROP_HEADERS
        }
        route.fulfill(status=response["status"], headers=headers, body=body)
