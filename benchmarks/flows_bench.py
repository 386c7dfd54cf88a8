"""Per-flow timings with the real ``flows`` code (``Portal``), cold and warm, and their floor."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from benchmarks import floor
from benchmarks.scenario import ACCOUNTS, NOW
from flows.browser.sessions import SessionFile, SessionKey
from flows.portal import Credentials, Portal
from flows.profile import PortalProfile, load_profile
from flows.session import launched_browser

#: The benchmark's own session key (saved sessions are always encrypted).
BENCH_KEY = SessionKey(bytes(32), "environment")
REASONS = ["I ordered the wrong product(s)", "Other reason(s)"]
MESSAGE = "Hello, I have requested the cancellation of this order. Please do not ship it."


@dataclass
class FlowResult:
    name: str
    label: str
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    browser_requests: int | None = None
    floor_requests: int | None = None

    def row(self) -> dict[str, Any]:
        med = lambda xs: statistics.median(xs) if xs else None  # noqa: E731
        warm, cold, flo = med(self.warm), med(self.cold), med(self.floor)
        return {
            "flow": self.name,
            "label": self.label,
            "cold_s": cold,
            "warm_s": warm,
            "floor_s": flo,
            "warm_over_floor": warm / flo if warm and flo else None,
            "cold_over_floor": cold / flo if cold and flo else None,
            "browser_requests": self.browser_requests,
            "floor_requests": self.floor_requests,
            "reps": {"cold": len(self.cold), "warm": len(self.warm), "floor": len(self.floor)},
            "samples": {"cold": self.cold, "warm": self.warm, "floor": self.floor},
        }


def search_profile(profile: PortalProfile) -> PortalProfile:
    """The same portal without a known detail URL: orders are found through the search."""
    entry = profile.entry.model_copy(update={"order_detail_path": None})
    return profile.model_copy(update={"entry": entry})


class Orders:
    """Hands out fresh orders of a kind (each cancel needs an order not yet cancelled)."""

    def __init__(self, ids: dict[str, list[str]]) -> None:
        self._ids = {k: list(v) for k, v in ids.items()}
        self.deep = ids["deep"][0]
        self.closed = ids["closed"][0]

    def fresh(self, kind: str) -> str:
        return self._ids[kind].pop(0)


FLOWS = [
    ("login_fresh", "login, fresh (2-step form)"),
    ("login_saved", "login, saved state"),
    ("find_direct", "find order, detail URL"),
    ("find_search", "find order deep in list, via search"),
    ("list_all", "list 100 orders (10 pages)"),
    ("instant_cancel", "instant cancel (unpaid)"),
    ("request_message", "cancel request + seller message (paid)"),
    ("refund_read", "refund read (closed, Payment tab)"),
]


def run_flows(
    base_url: str, ids: dict[str, list[str]], reps: int, log: Callable[[str], None]
) -> list[FlowResult]:
    account = ACCOUNTS[0]
    creds = Credentials(account["email"], SecretStr(account["password"]))
    profile = load_profile()
    by_search = search_profile(profile)
    now: datetime = NOW
    orders = Orders(ids)
    results = {name: FlowResult(name, label) for name, label in FLOWS}
    tmp = Path(tempfile.mkdtemp(prefix="oa-bench-state-"))
    saved = tmp / "saved.json"
    counter = [0]

    def portal(browser: Any, prof: PortalProfile = profile, state: Path | None = saved) -> Portal:
        session = SessionFile(state, account["email"], BENCH_KEY) if state else None
        p = Portal(browser, base_url=base_url, profile=prof, credentials=creds, session=session)
        p.context.on("request", lambda _req: counter.__setitem__(0, counter[0] + 1))
        return p

    def login_fresh(browser: Any) -> None:
        p = portal(browser, state=tmp / f"fresh-{time.monotonic_ns()}.json")
        from flows.orders_page import OrdersPage

        orders_page = OrdersPage(p.page, profile)
        p.open(profile.entry.orders_path, orders_page.cards.first.or_(orders_page.no_orders))
        assert p.sign_ins == 1
        p.close()

    def login_saved(browser: Any) -> None:
        p = portal(browser)
        from flows.orders_page import OrdersPage

        orders_page = OrdersPage(p.page, profile)
        p.open(profile.entry.orders_path, orders_page.cards.first.or_(orders_page.no_orders))
        assert p.sign_ins == 0, "saved login state was not used"
        p.close()

    # flows on an open Portal: (name, profile flavour, step)
    def find_direct(p: Portal) -> None:
        p.goto_order(orders.deep)

    def find_search(p: Portal) -> None:
        p.goto_order(orders.deep)

    def list_all(p: Portal) -> None:
        assert len(p.list_orders()) == 100

    def instant_cancel(p: Portal) -> None:
        result = p.cancel(
            orders.fresh("unpaid"),
            reasons=REASONS,
            report_supplier=False,
            now=now,
            before_submit=lambda _d: None,
        )
        assert result.submitted and result.order.status.value == "closed", result

    def request_message(p: Portal) -> None:
        oid = orders.fresh("paid")
        result = p.cancel(
            oid, reasons=REASONS, report_supplier=False, now=now, before_submit=lambda _d: None
        )
        assert result.submitted and result.order.status.value == "cancellation_requested"
        assert p.send_message(oid, MESSAGE)

    def refund_read(p: Portal) -> None:
        order = p.read_order(orders.closed, now)
        assert order.refund is not None

    on_portal: dict[str, tuple[Callable[[Portal], None], PortalProfile]] = {
        "find_direct": (find_direct, profile),
        "find_search": (find_search, by_search),
        "list_all": (list_all, profile),
        "instant_cancel": (instant_cancel, profile),
        "request_message": (request_message, profile),
        "refund_read": (refund_read, profile),
    }
    on_browser = {"login_fresh": login_fresh, "login_saved": login_saved}

    # one sign-in to get the saved state the other flows start from
    with launched_browser() as (_, browser):
        first = portal(browser)
        first.goto_order(orders.deep)
        first.close()
    assert saved.is_file()

    # -- warm: one browser; one context per profile flavour, reused -------------------------
    log("warm flows (browser and context reused)")
    with launched_browser() as (_, browser):
        for name, step in on_browser.items():
            step(browser)  # warm-up
            for _ in range(reps):
                counter[0] = 0
                t = time.perf_counter()
                step(browser)
                results[name].warm.append(time.perf_counter() - t)
            results[name].browser_requests = counter[0]
        contexts: dict[int, Portal] = {}
        for name, (step, prof) in on_portal.items():
            p = contexts.setdefault(id(prof), portal(browser, prof))
            step(p)  # warm-up (first visit of a page type, static assets cached)
            for _ in range(reps):
                counter[0] = 0
                t = time.perf_counter()
                step(p)
                results[name].warm.append(time.perf_counter() - t)
            results[name].browser_requests = counter[0]
        for p in contexts.values():
            p.close()

    # -- cold: Playwright + Chromium started for each run ------------------------------------
    log("cold flows (browser start included)")
    for _ in range(reps):
        for name, result in results.items():
            t = time.perf_counter()
            with launched_browser() as (_, browser):
                if name in on_browser:
                    on_browser[name](browser)
                else:
                    step, prof = on_portal[name]
                    p = portal(browser, prof)
                    step(p)
                    p.close()
            result.cold.append(time.perf_counter() - t)

    # -- the floor -------------------------------------------------------------------------
    log("HTTP floor (httpx)")
    client = floor.new_client(base_url)
    floor.login(client, account["email"], account["password"])
    cookies = dict(client.cookies)
    requests = [0]
    client.event_hooks["request"] = [lambda _r: requests.__setitem__(0, requests[0] + 1)]

    # A fresh login starts from an empty cookie jar; the connection pool is kept (creating
    # an httpx.Client builds an SSL context, ~0.2 s, which is not part of logging in).
    session = floor.new_client(base_url)
    session.event_hooks["request"] = [lambda _r: requests.__setitem__(0, requests[0] + 1)]

    def floor_fresh() -> None:
        session.cookies.clear()
        floor.login(session, account["email"], account["password"])

    def floor_saved() -> None:
        session.cookies.clear()
        session.cookies.update(cookies)
        floor.open_orders(session)

    floors: dict[str, Callable[[], None]] = {
        "login_fresh": floor_fresh,
        "login_saved": floor_saved,
        "find_direct": lambda: floor.find_direct(client, orders.deep),
        "find_search": lambda: floor.find_search(client, orders.deep),
        "list_all": lambda: floor.list_all(client) and None,
        "instant_cancel": lambda: floor.instant_cancel(client, orders.fresh("unpaid")),
        "request_message": lambda: floor.request_and_message(client, orders.fresh("paid"), MESSAGE),
        "refund_read": lambda: floor.read_order(client, orders.closed),
    }
    for name, step in floors.items():
        step()  # warm-up
        for _ in range(reps):
            requests[0] = 0
            t = time.perf_counter()
            step()
            results[name].floor.append(time.perf_counter() - t)
        results[name].floor_requests = requests[0]
    client.close()
    session.close()
    return list(results.values())
