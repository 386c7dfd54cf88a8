"""A browser on another host: `order-assistant browser-server` and the workers that use it.

The server runs as a real process on loopback, as an operator would start it on the
browser host; the assistant is told only ``ORDER_ASSISTANT_BROWSER_WS_ENDPOINT`` and the
token (and a local browser that does not exist, so any launch here would fail). Asserted
on what matters: the orders on the portal, the exit codes and messages, and that the token
appears in no log or output but the one line that hands a generated token over.
"""

from __future__ import annotations

import http.client
import queue
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import REAP_TIMEOUT, Assistant, start_cli
from tests.support.orders import DEMO_AWAITING_SHIPMENT, DEMO_SELLER_REJECTS, DEMO_UNPAID
from tests.support.servers import free_port

pytestmark = [pytest.mark.browser, pytest.mark.scenario("demo")]

#: How long the server may take to start Chromium and listen on a loaded 2-core machine.
START_TIMEOUT = 60.0
PAID = tuple(o for o in DEMO_AWAITING_SHIPMENT if o != DEMO_SELLER_REJECTS)[:2]


@dataclass
class BrowserServer:
    """A running `order-assistant browser-server`, its stdout lines read as they come."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    stdout: list[str] = field(default_factory=list)
    stderr: str = ""

    def __post_init__(self) -> None:
        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.put(line)

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, text: str) -> str:
        """The first stdout line containing ``text`` (bounded by START_TIMEOUT)."""
        deadline = time.monotonic() + START_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.stdout.append(line)
            if text in line:
                return line
        raise AssertionError(f"the browser server printed no {text!r}: {self.stdout}")

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; its exit code, every line it wrote kept."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        _, self.stderr = self.process.communicate(timeout=REAP_TIMEOUT)
        while not self.lines.empty():
            self.stdout.append(self.lines.get())
        return self.process.returncode

    @property
    def output(self) -> str:
        return "".join(self.stdout) + self.stderr


def live_processes() -> dict[int, int]:
    """Each live process and its parent (Linux /proc; zombies are not alive)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    return parents


def started_by(pid: int) -> set[int]:
    """The live processes ``pid`` started, directly or not: here the Playwright server
    and its Chromium."""
    parents, found = live_processes(), set()
    while more := {c for c, p in parents.items() if p in found | {pid}} - found:
        found |= more
    return found


def wait_gone(pids: set[int]) -> None:
    """Bounded: a stopped Chromium's helpers exit a moment after the browser itself."""
    deadline = time.monotonic() + 15
    while left := pids & live_processes().keys():
        assert time.monotonic() < deadline, f"still running after SIGTERM: {sorted(left)}"
        time.sleep(0.1)  # allowed: bounded polling of process state


def start_server(port: int, token: str | None) -> BrowserServer:
    env = {"ORDER_ASSISTANT_CONFIG": "/nonexistent/no-config.toml"}
    if token is not None:
        env["ORDER_ASSISTANT_BROWSER_TOKEN"] = token
    args = ("-v", "browser-server", "--host", "127.0.0.1", "--port", str(port))
    return BrowserServer(start_cli(*args, env=env))


@dataclass(frozen=True)
class Remote:
    server: BrowserServer
    endpoint: str
    token: str

    def env(self, token: str | None = None) -> dict[str, str | None]:
        """A worker's settings for this server; no local browser could start."""
        return {
            "ORDER_ASSISTANT_BROWSER_WS_ENDPOINT": self.endpoint,
            "ORDER_ASSISTANT_BROWSER_TOKEN": self.token if token is None else token,
            "ORDER_ASSISTANT_BROWSER": "/nonexistent/chromium",
        }


@pytest.fixture(scope="module")
def remote() -> Iterator[Remote]:
    """One browser server for the module, with the token an operator configured."""
    port, token = free_port(), secrets.token_urlsafe(24)
    server = start_server(port, token)
    try:
        line = server.wait_for("listening on")
        assert line.strip().endswith(f"ws://127.0.0.1:{port}"), line
        yield Remote(server, f"ws://127.0.0.1:{port}", token)
    finally:
        code = server.stop()
    assert code == 0, server.output
    # Its logs name the address, never the token (it was configured, so never printed).
    assert f"127.0.0.1:{port}" in server.stderr, server.output
    assert token not in server.output, server.output


def test_cancel_runs_on_the_remote_browser(
    portal: PortalHandle, assistant: Assistant, remote: Remote
) -> None:
    result = assistant("-v", "cancel", DEMO_UNPAID, "--json", **remote.env())

    assert result.returncode == 0, result
    assert portal.order_state(DEMO_UNPAID)["state"] == "closed"
    assert remote.token not in result.output


def test_workers_share_the_remote_browser(
    portal: PortalHandle, assistant: Assistant, remote: Remote
) -> None:
    result = assistant(
        "-v",
        "cancel",
        *PAID,
        "--json",
        "--concurrency",
        "2",
        ORDER_ASSISTANT_MIN_ORDERS_PER_CONTEXT="1",
        **remote.env(),
    )

    assert result.returncode == 0, result
    assert "2 order(s) on 2 browser context(s)" in result.stderr, result
    for order in PAID:
        assert portal.order_state(order)["state"] == "cancellation_requested"
    assert remote.token not in result.output


@pytest.mark.parametrize("concurrency", ["1", "2"])
def test_a_wrong_token_is_refused_and_nothing_is_done(
    portal: PortalHandle, assistant: Assistant, remote: Remote, concurrency: str
) -> None:
    wrong = secrets.token_urlsafe(24)
    result = assistant(
        "cancel",
        *PAID,
        "--concurrency",
        concurrency,
        ORDER_ASSISTANT_MIN_ORDERS_PER_CONTEXT="1",
        **remote.env(token=wrong),
    )

    assert result.returncode == 2, result
    assert "refused the token" in result.stderr, result
    assert "ORDER_ASSISTANT_BROWSER_TOKEN" in result.stderr, result
    assert wrong not in result.output and remote.token not in result.output
    for order in PAID:
        state = portal.order_state(order)
        assert state["state"] == "awaiting_shipment" and not state["cancellation_requests"]


def test_an_unreachable_server_is_a_clear_error(assistant: Assistant) -> None:
    token = secrets.token_urlsafe(24)
    endpoint = f"ws://127.0.0.1:{free_port()}"  # nobody listens there
    result = assistant(
        "cancel",
        DEMO_UNPAID,
        ORDER_ASSISTANT_BROWSER_WS_ENDPOINT=endpoint,
        ORDER_ASSISTANT_BROWSER_TOKEN=token,
    )

    assert result.returncode == 3, result
    assert "unreachable" in result.stderr and endpoint.removeprefix("ws://") in result.stderr
    assert "order-assistant browser-server" in result.stderr, result  # the fix
    assert token not in result.output


def test_only_the_token_opens_the_server(remote: Remote) -> None:
    """Below our client: Playwright's own `connect` and plain HTTP, with a wrong token and
    with none, are turned away before they reach Playwright's server (which would tell
    anyone its websocket path on `GET /json`)."""
    address = remote.endpoint.removeprefix("ws://")
    with sync_playwright() as playwright:
        for headers in ({}, {"Authorization": f"Bearer {secrets.token_urlsafe(24)}"}):
            with pytest.raises(PlaywrightError, match="401"):
                playwright.chromium.connect(remote.endpoint, headers=headers, timeout=10_000)
        right = {"Authorization": f"Bearer {remote.token}"}
        browser = playwright.chromium.connect(remote.endpoint, headers=right, timeout=30_000)
        assert browser.is_connected()
        browser.close()

    for path in ("/json", "/", f"/{remote.token}"):
        assert ask(address, path=path) == 401, path
        assert ask(address, secrets.token_urlsafe(24), path=path) == 401, path


def test_doctor_names_the_remote_browser_and_connects(assistant: Assistant, remote: Remote) -> None:
    result = assistant.invoke("doctor", "--json", **remote.env())

    assert result.returncode == 0, result
    checks = {check["name"]: check for check in result.json()["checks"]}
    address = remote.endpoint.removeprefix("ws://")
    assert checks["browser"]["detail"].startswith(f"remote: the browser server at {address}")
    assert checks["remote browser"]["ok"] and "Chromium" in checks["remote browser"]["detail"]
    assert remote.token not in result.output


def test_a_generated_token_is_printed_once_and_never_logged() -> None:
    port = free_port()
    server = start_server(port, token=None)
    try:
        server.wait_for("listening on")
        line = server.wait_for("Token")
        token = line.rsplit(" ", 1)[-1].strip()
        assert len(token) >= 32 and "only" in line, line
        assert ask(f"127.0.0.1:{port}", token) == 200  # it is the token the server wants
        browser = started_by(server.process.pid)
        assert len(browser) > 1, "no Playwright server and Chromium under the browser server"
    finally:
        assert server.stop() == 0, server.output
    wait_gone(browser)  # SIGTERM stopped Chromium too
    assert "".join(server.stdout).count(token) == 1 and token not in server.stderr, server.output


def ask(address: str, token: str | None = None, path: str = "/") -> int:
    """The status of a plain HTTP request to the browser server."""
    connection = http.client.HTTPConnection(address, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        assert b"wsEndpointPath" not in response.read(), path
        return response.status
    finally:
        connection.close()
