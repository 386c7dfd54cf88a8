"""URL patterns learned from the links the flows followed, remembered per portal.

Without URL templates in the profile, the flows reach an order through the portal's own
links ("My Orders", the card's "Order details", "Contact seller"). Each link followed
teaches the pattern of its page (the order number replaced by ``{order_id}``); the
patterns are kept in a small JSON file in the data directory, one entry per portal
origin, so later runs go straight to the pages.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger(__name__)


class Routes(BaseModel):
    """Paths (with query) on the portal's origin; ``None`` until learned."""

    model_config = ConfigDict(extra="forbid")

    orders: str | None = None
    order_detail: str | None = None
    messages: str | None = None


def pattern_of(url: str, order_id: str) -> str | None:
    """The path and query of ``url`` with the order number as ``{order_id}`` (exactly once)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path.count(order_id) != 1 or "{" in path or "}" in path:
        return None
    return path.replace(order_id, "{order_id}")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class RouteCache:
    """The learned routes of every portal, in one file (``None``: remembered in memory only)."""

    def __init__(self, path: Path | None, origin: str) -> None:
        self.path = path
        self.origin = origin
        self.routes = self._load()

    def _read_all(self) -> dict[str, dict[str, str | None]]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            log.warning("ignoring an unreadable routes file %s", self.path)
            return {}
        return data if isinstance(data, dict) else {}

    def _load(self) -> Routes:
        try:
            return Routes.model_validate(self._read_all().get(self.origin, {}))
        except ValidationError:
            return Routes()

    def learn(self, **found: str | None) -> None:
        """Remember patterns just seen (only the new or changed ones are written)."""
        changed = {k: v for k, v in found.items() if v and getattr(self.routes, k) != v}
        if not changed:
            return
        self.routes = self.routes.model_copy(update=changed)
        log.info("learned portal routes: %s", changed)
        if self.path is None:
            return
        data = self._read_all()
        data[self.origin] = self.routes.model_dump()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".routes.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
