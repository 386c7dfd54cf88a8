"""Serve the mock portal with uvicorn in a background thread, on a free port."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn

from .app import create_app
from .control import resolve
from .scenario import Scenario, load_scenario
from .state import Portal


def listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit this: no Nagle delay between headers and body
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


class MockPortal:
    """A running mock portal. Control calls go straight to the in-process state.

    `MockPortal("demo")` starts at once; `.url` is `http://127.0.0.1:<port>`.
    """

    def __init__(
        self,
        scenario: str | Path | Scenario = "demo",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        control_api: bool = True,
        skin: str | None = None,
        locale: str | None = None,
        login_port: int | None = None,
        page_weight: Any = None,
    ) -> None:
        """`skin`/`locale`: see `create_app`; `login_port` (real skin): serve the sign-in
        pages on a second port of the same host (0: any free port, see `.login_url`)."""
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        self._sock = listening_socket(host, port)
        self.host, self.port = host, self._sock.getsockname()[1]
        sockets = [self._sock]
        self.login_port: int | None = None
        if login_port is not None:
            sockets.append(listening_socket(host, login_port))
            self.login_port = sockets[1].getsockname()[1]
        self.app = create_app(
            scenario,
            control_api=control_api,
            skin=skin,
            locale=locale,
            login_port=self.login_port,
            page_weight=page_weight,
        )
        self.portal: Portal = self.app.state.portal
        self.skin: str = self.app.state.skin
        self.locale: str = self.app.state.locale.code
        self._sockets = sockets
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": sockets},
            daemon=True,
            name=f"mock-portal-{self.port}",
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:  # uvicorn sets this once it accepts connections
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"mock portal did not start on {self.url}")
            time.sleep(0.01)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def start_url(self) -> str:
        """Where a buyer starts: the order list (accessible) or the home page (real)."""
        return self.url + ("/" if self.skin == "real" else "/orders")

    @property
    def login_url(self) -> str | None:
        return f"http://{self.host}:{self.login_port}" if self.login_port else None

    def reset(self, scenario: str | Path | Scenario | dict[str, Any] = "demo") -> Scenario:
        if isinstance(scenario, dict):
            scenario = resolve(scenario)
        elif not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        self.portal.reset(scenario)
        return scenario

    def advance(self, *, hours: float = 0, days: float = 0, minutes: float = 0) -> str:
        return self.portal.advance(timedelta(days=days, hours=hours, minutes=minutes)).isoformat()

    def state(self) -> dict[str, Any]:
        return self.portal.snapshot()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        for sock in self._sockets:
            sock.close()

    def __enter__(self) -> MockPortal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
