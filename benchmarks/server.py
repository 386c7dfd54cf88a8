"""The mock portal in a subprocess (not a thread of the measured process).

A server thread would compete with the sync Playwright client for the GIL of the
benchmark process and its CPU would be counted as the client's; in its own process it is
measured apart, like a remote portal would be (it still shares the machine's cores).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PortalProcess:
    """``python -m mock_site --control-api`` on a free port; reset/state over HTTP."""

    def __init__(
        self,
        scenario: dict[str, Any],
        *,
        skin: str = "accessible",
        locale: str = "en",
        page_weight: str = "none",
    ) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="oa-bench-")
        path = Path(self._dir.name) / "scenario.json"
        path.write_text(json.dumps(scenario), encoding="utf-8")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.skin = skin
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mock_site",
                "--scenario",
                str(path),
                "--port",
                str(self.port),
                "--control-api",
                "--skin",
                skin,
                "--locale",
                locale,
                "--page-weight",
                page_weight,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.control = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.control.get("/__mock__/state").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"mock portal did not start: {err[-2000:]}")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def reset(self, scenario: dict[str, Any]) -> None:
        response = self.control.post("/__mock__/reset", json=scenario)
        response.raise_for_status()

    def state(self) -> dict[str, Any]:
        response = self.control.get("/__mock__/state")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def stop(self) -> None:
        self.control.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._dir.cleanup()

    def __enter__(self) -> PortalProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
