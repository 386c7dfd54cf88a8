"""One Chromium for several worker threads: a Playwright browser server and its clients.

Playwright's sync API belongs to the thread that started it, so N workers cannot share
one ``Browser`` object. They can share one browser *process*: Chromium is launched
behind a Playwright browser server (the driver's ``launch-server``: a websocket on
127.0.0.1 whose path is a random token), and each worker thread starts its own
Playwright and ``connect``s to it, getting contexts of its own in that one Chromium.

The server must never outlive us, even when we are SIGKILLed half-way through a batch:
on Linux it is started with a parent-death signal, and it closes Chromium on SIGTERM.

``serve_remote`` is the same server offered to other hosts (``order-assistant
browser-server``): still on loopback, behind the token check of ``flows.browser.guard``,
because the random path is no secret to anyone who can reach the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from assistant.domain.errors import ConfigError, PortalError, first_line
from flows.browser.guard import Guard, Upstream, serve
from flows.browser.launch import INSTALL_HINT, launch_options, resolve_browser

log = logging.getLogger(__name__)

#: How long Chromium may take to start behind the server (a cold start on a busy machine).
START_TIMEOUT_S = 60.0
#: How long a worker may take to connect to the running server.
CONNECT_TIMEOUT_MS = 30_000


@contextmanager
def browser_server(
    browser_setting: str | None = None,
    *,
    headless: bool = True,
    start_timeout: float = START_TIMEOUT_S,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Launch the resolved Chromium behind a browser server; yield its websocket endpoint.

    The endpoint carries a random token and listens on loopback only: whoever holds it
    drives a browser that may be signed in to real accounts, so it is never logged.
    """
    with _server_process(
        browser_setting, headless=headless, start_timeout=start_timeout, extra_args=extra_args
    ) as (endpoint, _):
        yield endpoint


@contextmanager
def _server_process(
    browser_setting: str | None,
    *,
    headless: bool,
    start_timeout: float,
    extra_args: Sequence[str],
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``browser_server``, with the server's process (whose end is Chromium's end)."""
    choice = resolve_browser(browser_setting)
    options = launch_options(choice, headless=headless, extra_args=tuple(extra_args))
    config: dict[str, Any] = {
        "headless": options["headless"],
        "args": options["args"],
        "host": "127.0.0.1",
        # A Ctrl-C is ours to handle (no new order, the ones under way finish): the
        # server runs in its own session and would ignore the terminal's SIGINT anyway.
        "handleSIGINT": False,
    }
    if "executable_path" in options:
        config["executablePath"] = options["executable_path"]
    with tempfile.TemporaryDirectory(prefix="order-assistant-browser-") as tmp:
        config_file = Path(tmp) / "launch.json"
        config_file.write_text(json.dumps(config), "utf-8")
        stderr_file = Path(tmp) / "server.log"
        with stderr_file.open("w+", encoding="utf-8") as stderr:
            process = _start(config_file, stderr)
            try:
                yield _endpoint(process, stderr, start_timeout), process
            finally:
                _stop(process)


def _start(config_file: Path, stderr: IO[str]) -> subprocess.Popen[str]:
    # The public `python -m playwright` would put a Python process between us and the
    # server, and that one does not pass signals on: call the driver it runs directly.
    from playwright._impl._driver import compute_driver_executable, get_driver_env

    node, cli = compute_driver_executable()
    command = [node, cli, "launch-server", "--browser", "chromium", "--config", str(config_file)]
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=get_driver_env(),
        text=True,
        start_new_session=True,
        preexec_fn=_die_with(os.getpid()) if sys.platform == "linux" else None,  # noqa: PLW1509
    )


def _die_with(parent: int) -> Callable[[], None]:
    """A pre-exec hook: SIGTERM the child when ``parent`` dies (Linux parent-death signal).

    The library, the function and the values are bound here, in the parent: between fork
    and exec the child runs a few calls on them and loads nothing (another thread of the
    parent may have held an import or loader lock at the fork).
    """
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)
    getppid, exit_now = os.getppid, os._exit

    def hook() -> None:
        prctl(pr_set_pdeathsig, sigterm)
        if getppid() != parent:  # the parent died before the signal was armed
            exit_now(1)

    return hook


def _endpoint(process: subprocess.Popen[str], stderr: IO[str], timeout: float) -> str:
    """The first line the server prints is its endpoint; anything else is a failed start."""
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout).strip()
    except queue.Empty:
        line = ""
    if line.startswith("ws://"):
        return line
    _stop(process)
    stderr.seek(0)
    errors = [row for row in stderr.read().splitlines() if row.strip()]
    cause = next((row for row in errors if "rror" in row), errors[0] if errors else "no output")
    raise ConfigError(
        f"the browser did not start: {cause.strip()}",
        key="ORDER_ASSISTANT_BROWSER",
        fix=f"check `order-assistant doctor`; {INSTALL_HINT}",
    )


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM (the server closes Chromium first), then SIGKILL if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log.warning("the browser server did not stop on SIGTERM; killing it")
            process.kill()
            process.wait(timeout=15)
    if process.stdout is not None:
        with contextlib.suppress(OSError):
            process.stdout.close()


@contextmanager
def connected_browser(endpoint: str, *, slow_mo: float = 0) -> Iterator[Browser]:
    """This thread's own Playwright, connected to the shared browser; both closed on exit."""
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.connect(
                endpoint, slow_mo=slow_mo, timeout=CONNECT_TIMEOUT_MS
            )
        except PlaywrightError as exc:
            # Playwright's message quotes the endpoint, token included: not repeated here.
            first = first_line(exc).replace(endpoint, "ws://127.0.0.1/…")
            raise PortalError(
                f"a worker could not connect to the shared browser: {first}",
                fix="run `order-assistant doctor`; set concurrency = 1 to use no browser server",
            ) from None
        try:
            yield browser
        finally:
            browser.close()


def serve_remote(
    browser_setting: str | None,
    *,
    host: str,
    port: int,
    token: str,
    ready: Callable[[str], None],
    headless: bool = True,
    extra_args: Sequence[str] = (),
) -> None:
    """``order-assistant browser-server``: Chromium for other hosts, until SIGTERM or Ctrl-C.

    The Playwright server stays on loopback behind its own random path; what listens on
    ``host:port`` is the token check of ``flows.browser.guard``. ``ready`` is told the bound
    ``host:port`` once connections are accepted. Returns when stopped, or when Chromium
    is gone (a ``PortalError``: a supervisor should start the server again).
    """
    from importlib.metadata import version

    with _server_process(
        browser_setting, headless=headless, start_timeout=START_TIMEOUT_S, extra_args=extra_args
    ) as (endpoint, process):
        guard = Guard(token, Upstream.of(endpoint), version("playwright"))
        gone = asyncio.run(_serve_until_stopped(guard, host, port, process, ready))
        log.info("browser server stopping")
    if gone:
        raise PortalError(
            "the browser behind the browser server exited",
            fix="check that this Chromium starts on its own (`order-assistant doctor`), "
            "then start the browser server again",
        )


async def _serve_until_stopped(
    guard: Guard, host: str, port: int, process: subprocess.Popen[str], ready: Callable[[str], None]
) -> bool:
    """Serve until SIGTERM/SIGINT (False) or until the Playwright server exits (True)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # The server's stdout reaches its end when the server (and Chromium with it) exits.
    assert process.stdout is not None
    stdout = process.stdout.fileno()
    gone = False

    def on_output() -> None:
        nonlocal gone
        if not os.read(stdout, 4096):
            gone = True
            stop.set()

    loop.add_reader(stdout, on_output)
    try:
        await serve(guard, host, port, stop, ready)
    except OSError as exc:  # the address is taken, or not one of this host's
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            key="--host/--port",
            fix="choose a free port and an address of this host (0.0.0.0: every interface)",
        ) from None
    finally:
        loop.remove_reader(stdout)
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return gone
