"""Capture what `cancel` and `status` print at 80 and 120 columns, for docs/terminal/.

The real CLI against the bundled mock portal (demo scenario): a batch of orders in
different states, then `status`, each at both widths. Run after changing the rendering:

    .venv/bin/python scripts/capture_terminal.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from mock_cli import cli_env

from mock_site.server import MockPortal

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "terminal"
#: Demo orders in different states (unpaid, awaiting shipment, ...); a shipped one is added.
ORDERS = ("8211279521850032", "8211279521853383", "8211279521854500")


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    with MockPortal("demo") as portal, tempfile.TemporaryDirectory() as data:
        account = portal.portal.scenario.accounts[0]
        base = cli_env(portal, data)
        shipped = next(
            o.id
            for o in portal.portal.scenario.orders
            if o.state == "shipped" and o.account == account.email
        )
        for columns in ("80", "120"):
            env = {**base, "COLUMNS": columns, "ORDER_ASSISTANT_DATA_DIR": f"{data}/{columns}"}
            portal.reset("demo")
            for name, args in (
                ("cancel", ["cancel", *ORDERS, shipped]),
                ("status", ["status"]),
            ):
                done = subprocess.run(
                    [sys.executable, "-m", "assistant", *args],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                text = f"$ order-assistant {' '.join(args)}\n{done.stdout}"
                (TARGET / f"{name}-{columns}.txt").write_text(text, encoding="utf-8")
                print(f"wrote docs/terminal/{name}-{columns}.txt (exit {done.returncode})")


if __name__ == "__main__":
    main()
