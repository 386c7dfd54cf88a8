"""``order-assistant report --html``: one self-contained page showing the assistant's work.

For each case: what the assistant saw, decided and did, the seller messages, the refund
steps and the screenshots (inlined), so a person can check it at a glance, offline, and
send the file to someone else. Everything is escaped; nothing secret is in the journal.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.cli.render import STATUS_STYLE
from assistant.journal.store import Case, Event, Journal

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f5f5f5;color:#222}
header{background:#ff4747;color:#fff;padding:16px 32px}h1{margin:0;font-size:22px}
main{max-width:1000px;margin:24px auto;padding:0 16px}
section.case{background:#fff;border-radius:10px;box-shadow:0 1px 3px #0002;margin:0 0 24px;
padding:16px 24px}
h2{font-size:18px;margin:0 0 4px}.status{display:inline-block;padding:2px 10px;
border-radius:12px;font-size:13px;font-weight:600;color:#fff;background:#888}
.green{background:#2e7d32}.yellow{background:#e69500}.magenta{background:#8e24aa}
.red{background:#c62828}.advice{background:#fff7e0;border-left:4px solid #e69500;
padding:8px 12px;margin:8px 0}ol.timeline{list-style:none;padding:0;margin:12px 0 0}
ol.timeline li{border-left:2px solid #ddd;padding:4px 0 10px 14px;position:relative}
ol.timeline li:before{content:"";position:absolute;left:-6px;top:9px;width:10px;height:10px;
border-radius:50%;background:#ff6a00}time{color:#777;font-size:13px;margin-right:8px}
.kind{font-weight:600;margin-right:6px}img{max-width:100%;border:1px solid #ddd;
border-radius:6px;margin-top:6px}.why{color:#555;font-size:13px}
"""


def render_html(cases: Sequence[tuple[Case, list[Event]]], title: str) -> str:
    """The whole report page for these cases and their histories."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{html.escape(title)}</h1></header><main>",
    ]
    if not cases:
        parts.append("<p>No cases in the journal yet.</p>")
    for case, events in cases:
        parts.append(_case(case, events))
    parts.append("</main></body></html>")
    return "".join(parts)


def _case(case: Case, events: list[Event]) -> str:
    style = STATUS_STYLE.get(case.status, "").replace("bold ", "")
    head = (
        f"<section class='case' aria-label='Order {html.escape(case.order_id)}'>"
        f"<h2>Order {html.escape(case.order_id)}</h2>"
        f"<span class='status {style}'>{html.escape(case.status)}</span> "
        f"<span class='why'>{html.escape(case.account)}"
        f"{' · next check ' + case.next_due.isoformat(timespec='minutes') if case.next_due else ''}"
        "</span>"
    )
    advice = f"<div class='advice'>{html.escape(case.advice)}</div>" if case.advice else ""
    items = "".join(_event(event) for event in events)
    return f"{head}{advice}<ol class='timeline'>{items}</ol></section>"


def _event(event: Event) -> str:
    when = f"<time>{event.at.isoformat(timespec='minutes')}</time>"
    kind = f"<span class='kind'>{html.escape(event.kind)}</span>"
    return f"<li>{when}{kind}{_detail(event.kind, event.payload)}</li>"


def _detail(kind: str, payload: dict[str, Any]) -> str:
    esc = html.escape
    if kind == "observation":
        offers = ", ".join(payload.get("actions") or []) or "nothing"
        return f"saw <b>{esc(str(payload.get('label')))}</b> (offers: {esc(offers)})"
    if kind == "plan":
        steps = "".join(
            f"<li>{esc(a['kind'])} <span class='why'>{esc(a['why'])}</span></li>"
            for a in payload.get("actions", [])
        )
        return f"decided → {esc(str(payload.get('case_status')))}<ul>{steps}</ul>"
    if kind == "refund":
        steps = " / ".join(
            f"{esc(s['name'])}: {'done' if s['done'] else 'pending'}"
            for s in payload.get("steps", [])
        )
        return steps
    if kind == "screenshot":
        return f"{esc(str(payload.get('label')))}{_image(payload.get('path'))}"
    if kind == "error":
        shot = _image(payload.get("screenshot"))
        return f"<span style='color:#c62828'>{esc(str(payload.get('error')))}</span>{shot}"
    if kind in ("message", "seller_message", "advice"):
        who = (
            "to the seller: "
            if kind == "message"
            else "from the seller: "
            if kind == "seller_message"
            else ""
        )
        return f"{who}{esc(str(payload.get('text')))}"
    return esc(", ".join(f"{k}: {v}" for k, v in payload.items()))


def _image(path: object) -> str:
    if not isinstance(path, str) or not Path(path).is_file():
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f"<br><img alt='screenshot' src='data:image/png;base64,{data}'>"


def write_report(journal: Journal, target: Path, order_id: str | None = None) -> int:
    """Write the report of every case (or one order's) to ``target``; the number of cases."""
    cases = [(case, journal.events(case.id)) for case in journal.cases(order_id)]
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Orders, addresses and chats: readable by the user only, like the journal. Opened
    # 0600 from the start (no moment of a world-readable file), and tightened if it existed.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(render_html(cases, "order-assistant report"))
    target.chmod(0o600)
    return len(cases)
