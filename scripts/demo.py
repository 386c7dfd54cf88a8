"""The main job on the bundled mock portal: cancel a few orders, follow them for weeks.

Starts the mock portal (demo scenario, control API on) on a free port, runs the real
``order-assistant`` commands against it as a user would (``cancel``, then ``run`` as a
scheduler would), moves the portal's simulated clock forward between runs, and prints the
final report. The assistant's clock follows the portal's (ORDER_ASSISTANT_NOW).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from flows.browser.sessions import new_key

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "assistant"]
ORDERS = {
    "8211279521850032": "unpaid: cancelled at once",
    "8211279521852266": "payment being verified: cancelled at once, refund follows",
    "8211279521853383": "paid: request; the seller accepts after 36 hours",
    "8211279521855617": "paid: request; the seller stays silent for 15 days",
    "8211279521856734": "paid: request; the seller ships anyway",
    "8211279521854500": "already shipped: advice only, nothing clicked",
    "8211279521866787": "shipment canceled: message, then dispute advice after a week",
}
FOLLOW_UP_DAYS = (1, 2, 3, 5, 8, 13, 21)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def mock_portal() -> Iterator[tuple[str, httpx.Client]]:
    """The demo scenario's portal on a free port, control API on: (URL, control client)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mock_site",
            "--scenario",
            "demo",
            "--port",
            str(port),
            "--control-api",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        control = httpx.Client(base_url=url, timeout=10)
        for _ in range(100):
            try:
                control.get("/__mock__/state").raise_for_status()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, control
    finally:
        server.terminate()
        server.wait(timeout=10)


def demo_env(url: str, data_dir: Path) -> dict[str, str]:
    """The assistant's settings for the demo portal (no config file, a key of its own)."""
    return {
        **os.environ,
        "ORDER_ASSISTANT_PORTAL_URL": url,
        "ORDER_ASSISTANT_USERNAME": "buyer@example.com",
        "ORDER_ASSISTANT_PASSWORD": "demo-pass-2026",
        "ORDER_ASSISTANT_DATA_DIR": str(data_dir),
        "ORDER_ASSISTANT_CONFIG": str(data_dir / "none.toml"),
        # A key of the demo's own for its saved sign-in (no keyring on most servers).
        "ORDER_ASSISTANT_SESSION_KEY": new_key(),
        # The bundled portal is no marketplace: a light pace keeps the demo short
        # (a real portal gets the defaults: 3-5 s between actions, 240 an hour).
        "ORDER_ASSISTANT_PACING__MIN_SECONDS": "0.3",
        "ORDER_ASSISTANT_PACING__JITTER_SECONDS": "0.3",
    }


def print_orders() -> None:
    for order_id, what in ORDERS.items():
        print(f"  {order_id}: {what}")


def print_portal_record(control: httpx.Client) -> None:
    """What the portal itself recorded: one request per order, one message per case."""
    state = control.get("/__mock__/state").json()
    print("\nWhat the portal recorded (its own state):")
    for order_id in ORDERS:
        order = state["orders"][order_id]
        requests = len(order.get("cancellation_requests", []))
        messages = sum(1 for m in order.get("messages", []) if m["author"] == "buyer")
        print(f"  {order_id}: {order['label']:<24} requests={requests} buyer messages={messages}")


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="order-assistant-demo-"))
    try:
        with mock_portal() as (url, control):
            env = demo_env(url, data_dir)

            def assistant(*args: str) -> int:
                now = env["ORDER_ASSISTANT_NOW"] = control.get("/__mock__/state").json()["now"]
                print(f"\n$ order-assistant {' '.join(args)}   (portal time {now})")
                return subprocess.run([*CLI, *args], env=env, check=False).returncode

            print(f"mock portal at {url}/orders (demo scenario); journal in {data_dir}")
            print_orders()
            assistant("cancel", *ORDERS)
            elapsed = 0
            for day in FOLLOW_UP_DAYS:
                control.post("/__mock__/clock", json={"days": day - elapsed}).raise_for_status()
                elapsed = day
                assistant("run")
            print("\nFinal report:")
            assistant("status")
            print_portal_record(control)
        return 0
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
