"""Orders on two browser contexts of one Chromium: really at the same time, each done once.

The mock portal's `gather` fault holds the first order pages it is asked for until two are
in flight together (or a while has passed), and logs how many it held: so a test sees
that two workers ran at once without timing anything.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import COMMAND_TIMEOUT, REAP_TIMEOUT, Assistant
from tests.support.orders import DEMO_AWAITING_SHIPMENT, DEMO_SELLER_REJECTS, OTHER_ACCOUNT_ORDER
from tests.support.portal import ALL_SKINS, buyer_messages, requests_of, set_faults, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.scenario("demo")]

#: Paid orders of the demo's first account, all awaiting shipment (not the one whose
#: seller rejects).
PAID = tuple(o for o in DEMO_AWAITING_SHIPMENT if o != DEMO_SELLER_REJECTS)
#: An order's detail page on either markup (the accessible mock's, the real site's).
ORDER_PAGE = r"^/orders/\d{16}$|^/p/order/detail\.html$"
#: Long enough for a second worker to start on a loaded machine, shorter than the
#: assistant's 30 s navigation time-out (a timed-out first page must fail the test).
WAIT_TOGETHER_MS = 25_000


@pytest.fixture(autouse=True)
def every_order_counts(assistant: Assistant) -> None:
    """A context per order: these tests use few orders (the default waits for 6 each)."""
    assistant.env["ORDER_ASSISTANT_MIN_ORDERS_PER_CONTEXT"] = "1"


def gather_order_pages(portal: PortalHandle, *, wait_ms: int) -> None:
    """Hold the first two order pages until both are in flight (at most ``wait_ms``)."""
    set_faults(
        portal,
        [{"path": ORDER_PAGE, "method": "GET", "gather": 2, "times": 2, "delay_ms": wait_ms}],
    )


def held_together(portal: PortalHandle) -> list[int]:
    """How many order pages the gather fault held at once, for each page it released."""
    return [f["gathered"] for f in portal.state()["fired"] if f["kind"] == "gather"]


def test_a_batch_runs_on_two_contexts_at_once(portal: PortalHandle, assistant: Assistant) -> None:
    gather_order_pages(portal, wait_ms=WAIT_TOGETHER_MS)

    result = assistant("cancel", *PAID, "--json")  # concurrency 2 is the default

    assert result.returncode == 0, result
    assert held_together(portal) == [2, 2]  # two order pages were open at the same moment
    reports = result.json()
    assert [r["order_id"] for r in reports] == list(PAID)  # reported in the order asked
    assert {r["status"] for r in reports} == {"waiting_seller"}
    for order in PAID:
        assert portal.order_state(order)["state"] == "cancellation_requested"
        assert len(requests_of(portal, order)) == 1
        assert len(buyer_messages(portal, order)) == 1
    # Both contexts needed a login; the portal saw one sign-in, the other worker reused it.
    assert portal.state()["sign_ins"] == {"buyer@example.com": 1}


@pytest.mark.parametrize(
    "told",
    [("--concurrency", "1"), ()],
    ids=["concurrency-1", "too-few-orders-for-two"],
)
def test_one_context_when_told_or_too_few_orders(
    portal: PortalHandle, assistant: Assistant, told: tuple[str, ...]
) -> None:
    # The control: in one context the first order page is alone until the wait ends.
    if not told:
        del assistant.env["ORDER_ASSISTANT_MIN_ORDERS_PER_CONTEXT"]  # the default: 6
    gather_order_pages(portal, wait_ms=4_000)

    result = assistant(*told, "cancel", *PAID[:2], "--json")

    assert result.returncode == 0, result
    assert held_together(portal)[0] == 1
    assert all(len(requests_of(portal, order)) == 1 for order in PAID[:2])


def test_a_dry_run_batch_plans_on_two_contexts_and_clicks_nothing(
    portal: PortalHandle, assistant: Assistant
) -> None:
    gather_order_pages(portal, wait_ms=WAIT_TOGETHER_MS)

    result = assistant("cancel", "--dry-run", *PAID, "--json")  # a new data dir: no journal yet

    assert result.returncode == 0, result
    assert held_together(portal) == [2, 2]
    plans = result.json()
    assert [r["order_id"] for r in plans] == list(PAID)
    assert {r["status"] for r in plans} == {"plan: waiting_seller"}
    for order in PAID:
        assert requests_of(portal, order) == []
        assert buyer_messages(portal, order) == []
        assert portal.order_state(order)["state"] == "awaiting_shipment"


def test_an_order_named_twice_is_done_once(portal: PortalHandle, assistant: Assistant) -> None:
    result = assistant("cancel", PAID[0], PAID[1], PAID[0], "--json")

    assert result.returncode == 0, result
    assert [r["order_id"] for r in result.json()] == [PAID[0], PAID[1]]
    for order in PAID[:2]:
        assert len(requests_of(portal, order)) == 1
        assert len(buyer_messages(portal, order)) == 1


@pytest.mark.parametrize("portal_skin", ALL_SKINS)
def test_two_accounts_followed_at_once(
    portal: PortalHandle, assistant: Assistant, tmp_path: Path
) -> None:
    config = tmp_path / "two-accounts.toml"
    config.write_text(
        '[[accounts]]\nusername = "other@example.com"\npassword_env = "OTHER_PASSWORD"\n',
        encoding="utf-8",
    )
    assistant.env.update(
        {"ORDER_ASSISTANT_CONFIG": str(config), "OTHER_PASSWORD": "other-pass-2026"}
    )
    first = assistant("cancel", PAID[0], "--json")
    other = assistant("cancel", "--account", "other@example.com", OTHER_ACCOUNT_ORDER, "--json")
    assert first.returncode == 0 and other.returncode == 0, (first, other)

    # A day later the scheduled run looks at both cases, one context per account.
    portal.advance(days=1)
    gather_order_pages(portal, wait_ms=WAIT_TOGETHER_MS)
    run = assistant("run", "--json")

    assert run.returncode == 0, run
    assert held_together(portal) == [2, 2]
    assert {(r["account"], r["order_id"]) for r in run.json()} == {
        ("buyer@example.com", PAID[0]),
        ("other@example.com", OTHER_ACCOUNT_ORDER),
    }
    for order in (PAID[0], OTHER_ACCOUNT_ORDER):
        assert len(requests_of(portal, order)) == 1
        assert len(buyer_messages(portal, order)) == 1
    # Each account signed in once (its first cancel); the run reused the saved logins.
    assert portal.state()["sign_ins"] == {"buyer@example.com": 1, "other@example.com": 1}


def descendants(pid: int) -> set[int]:
    """Every process started, directly or not, by ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_killed_batch_leaves_no_browser_and_resumes_once(
    portal: PortalHandle, assistant: Assistant
) -> None:
    # Both workers' requests reach the portal and are applied; the answers never come.
    set_faults(
        portal,
        [{"path": r"^/orders/\d+/cancel$", "method": "POST", "when": "after", "delay_ms": 60_000}],
    )
    process = assistant.start("cancel", *PAID[:3])
    wait_until(
        lambda: (
            sum(len(requests_of(portal, o)) for o in PAID[:3]) == 2 or process.poll() is not None
        ),
        timeout=90,
        what="two cancellation requests in flight at once",
    )
    assert process.poll() is None, process.communicate()
    started = descendants(process.pid)  # the browser server, Chromium, Playwright drivers
    assert started

    os.kill(process.pid, signal.SIGKILL)  # the assistant alone, as the OOM killer would
    process.communicate(timeout=REAP_TIMEOUT)
    wait_until(
        lambda: not any(alive(pid) for pid in started),
        timeout=30,
        what="the browser and the drivers to go away with the assistant",
    )

    set_faults(portal, [])
    resumed = assistant("run", "--json")
    assert resumed.returncode == 0, resumed
    assert {r["status"] for r in resumed.json()} == {"waiting_seller"}
    for order in PAID[:3]:
        assert len(requests_of(portal, order)) == 1, order  # never a second request
        assert len(buyer_messages(portal, order)) == 1, order


@pytest.mark.slow
@pytest.mark.parametrize("contexts", [1, 2])
def test_ctrl_c_finishes_the_orders_under_way_and_leaves_the_rest(
    portal: PortalHandle, assistant: Assistant, contexts: int
) -> None:
    # Each request is applied, then answered 3 s late: Ctrl-C lands while they are in flight.
    set_faults(
        portal,
        [{"path": r"^/orders/\d+/cancel$", "method": "POST", "when": "after", "delay_ms": 3_000}],
    )
    process = assistant.start("--concurrency", str(contexts), "cancel", *PAID)
    wait_until(
        lambda: (
            sum(len(requests_of(portal, o)) for o in PAID) == contexts or process.poll() is not None
        ),
        timeout=90,
        what=f"{contexts} cancellation request(s) in flight",
    )
    assert process.poll() is None, process.communicate()
    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    out, err = process.communicate(timeout=COMMAND_TIMEOUT)

    assert process.returncode == 130, (out, err)
    started = [o for o in PAID if requests_of(portal, o)]
    # Usually the ones in flight; a machine that stalled the poll past an answer may have
    # begun the next order by then: it is under way too, and finishes.
    assert contexts <= len(started) < len(PAID), started
    assert f"interrupted after {len(started)} of 4 order(s)" in err, err
    assert "order-assistant run" in err and "Traceback" not in err, err
    assert "done before the stop" in out and all(o in out for o in started), out  # reported
    for order in started:  # finished: the request confirmed, the seller messaged
        assert assistant.case_status(order) == "waiting_seller"
        assert len(buyer_messages(portal, order)) == 1
    assert {assistant.case_status(o) for o in PAID if o not in started} == {"new"}

    set_faults(portal, [])
    resumed = assistant("run", "--json")
    assert resumed.returncode == 0, resumed
    assert sorted(r["order_id"] for r in resumed.json()) == sorted(set(PAID) - set(started))
    for order in PAID:
        assert len(requests_of(portal, order)) == 1, order
        assert len(buyer_messages(portal, order)) == 1, order


BROWSER_NAMES = {
    "chromium",
    "chromium-browser",
    "chrome",
    "headless_shell",
    "chrome-headless-shell",
}


def browser_process(root: int) -> int:
    """The Chromium browser process (not a renderer or helper) started under ``root``."""
    for pid in descendants(root):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        name = Path(args[0].decode()).name
        if name in BROWSER_NAMES and not any(a.startswith(b"--type=") for a in args):
            return pid
    raise AssertionError("no browser process found")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_browser_crash_fails_the_orders_under_way_and_keeps_the_rest(
    portal: PortalHandle, assistant: Assistant
) -> None:
    set_faults(
        portal,
        [{"path": r"^/orders/\d+/cancel$", "method": "POST", "when": "after", "delay_ms": 60_000}],
    )
    process = assistant.start("cancel", *PAID, "--json")
    wait_until(
        lambda: sum(len(requests_of(portal, o)) for o in PAID) == 2 or process.poll() is not None,
        timeout=90,
        what="two cancellation requests in flight",
    )
    assert process.poll() is None, process.communicate()
    os.kill(browser_process(process.pid), signal.SIGKILL)  # Chromium dies under both workers
    out, err = process.communicate(timeout=COMMAND_TIMEOUT)

    assert process.returncode == 3, (out, err)
    assert "Traceback" not in err, err
    reports = {r["order_id"]: r for r in json.loads(out)}
    assert len(reports) == 2 and {r["status"] for r in reports.values()} == {"failed"}
    assert all("browser" in r["error"] for r in reports.values()), reports
    started = [o for o in PAID if requests_of(portal, o)]
    assert sorted(reports) == sorted(started)

    set_faults(portal, [])
    resumed = assistant("run", "--json")
    assert resumed.returncode == 0, resumed
    assert {r["status"] for r in resumed.json()} == {"waiting_seller"}
    for order in PAID:
        assert len(requests_of(portal, order)) == 1, order
        assert len(buyer_messages(portal, order)) == 1, order
