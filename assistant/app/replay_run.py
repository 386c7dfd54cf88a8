"""``order-assistant replay DIR``: run a recording again with no server, compare outcomes.

The flows, the policy and the runner run for real; only the network is the recording.
A replay reproduces the run when every order ends with the same plan, the same status
and the same state read from the page.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from assistant.app.portal_set import Session
from assistant.app.runner import CaseReport
from assistant.app.service import cancel_orders, run_due
from assistant.app.settings import Settings
from assistant.domain.models import Intent
from flows.browser.recording import HAR, copy_journal, load_meta
from flows.browser.replay import HarReplayer


@dataclass
class ReplayResult:
    """The replay's own reports and every difference from the recorded outcome."""

    reports: list[CaseReport]
    differences: list[str] = field(default_factory=list)
    not_recorded: list[str] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        return not self.differences


def replay(folder: Path, *, browser: str | None = None, timeout_ms: float = 5_000) -> ReplayResult:
    """Replay the recorded command against the recording only; compare with its outcome."""
    meta = load_meta(folder)
    replayer = HarReplayer(folder / HAR, routes=meta.get("routes"))
    with tempfile.TemporaryDirectory(prefix="order-assistant-replay-") as scratch:
        data_dir = Path(scratch)
        copy_journal(folder, data_dir)
        profile = None
        if meta.get("profile"):  # the profile the recorded run used (older recordings: none)
            profile = data_dir / "profile.json"
            profile.write_text(json.dumps(meta["profile"]), encoding="utf-8")
        settings = Settings(
            portal_profile=profile,
            notify=[],  # a replay is not news: never tell the user's targets about it
            portal_url=meta["portal_url"],
            username=meta.get("account") or "replay",
            password=SecretStr("REDACTED"),  # never typed: the recording holds no sign-in
            data_dir=data_dir,
            now=datetime.fromisoformat(meta["now"]),
            browser=browser,
            timeout_ms=timeout_ms,
        )
        session = Session(replayer=replayer)
        if meta["command"] == "cancel":
            intent = Intent.model_validate(meta.get("intent") or {})
            reports = cancel_orders(settings, meta["orders"], intent, session=session)
        else:
            reports = run_due(settings, max_minutes=30, session=session)
    result = ReplayResult(reports, not_recorded=list(replayer.missing))
    result.differences = _compare(meta.get("outcome", []), reports)
    return result


def _compare(recorded: list[dict[str, Any]], reports: list[CaseReport]) -> list[str]:
    by_order = {r.order_id: r for r in reports}
    differences = []
    for expected in recorded:
        order_id = expected["order_id"]
        got = by_order.get(order_id)
        if got is None:
            differences.append(f"order {order_id}: not processed in the replay")
            continue
        actions = [a.kind.value for a in got.plan.actions] if got.plan else []
        checks = (
            ("status", expected.get("status"), got.status),
            ("plan", expected.get("actions"), actions),
            ("state on the page", expected.get("final_label"), got.final_label),
        )
        for what, want, have in checks:
            if want != have:
                differences.append(f"order {order_id}: {what} was {want!r}, replay gave {have!r}")
        if got.error and not expected.get("error"):
            differences.append(f"order {order_id}: replay failed: {got.error}")
    return differences
