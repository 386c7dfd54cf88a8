"""Regenerate ``fixtures/recordings/``: scrubbed recordings of the main paths.

Each recording is made by the real CLI (``order-assistant --record DIR cancel ...``)
against the bundled mock portal, one folder per path and per refund phase (a HAR cannot
answer the same GET differently on different days, so each phase is its own recording).
The trace and screenshots are dropped to keep the repository small; the HAR, the meta and
the journal copy are what a replay needs. Run after changing the portal or the flows:

    .venv/bin/python scripts/make_recordings.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mock_cli import cli_env

from mock_site.server import MockPortal

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "fixtures" / "recordings"
ORDER = "8211279521850032"

#: name -> (scenario, days to advance the portal's clock first, skin, locale)
PATHS: dict[str, tuple[str, float, str, str]] = {
    "unpaid_instant_cancel": ("awaiting_payment", 0, "accessible", "en"),
    "request_with_message": ("awaiting_shipment", 0, "accessible", "en"),
    "rejected_request": ("rejected", 0, "accessible", "en"),
    "shipped_advice_only": ("shipped", 0, "accessible", "en"),
    "shipment_canceled_message": ("shipment_canceled", 0, "accessible", "en"),
    "refund_phase_2_of_3": ("closed_refunding", 0, "accessible", "en"),
    "refund_phase_3_of_3": ("closed_refunding", 10, "accessible", "en"),
    # The real site's markup, zero-config (profile detected, URLs learned from links).
    "real_en_unpaid_instant_cancel": ("awaiting_payment", 0, "real", "en"),
    "real_en_request_with_message": ("awaiting_shipment", 0, "real", "en"),
    "real_es_request_with_message": ("awaiting_shipment", 0, "real", "es"),
    "real_es_refund_phase_3_of_3": ("closed_refunding", 10, "real", "es"),
}


def record(name: str, scenario: str, days: float, skin: str, locale: str) -> None:
    """Record one path into fixtures/recordings/<name>."""
    folder = TARGET / name
    shutil.rmtree(folder, ignore_errors=True)
    with (
        MockPortal(scenario, skin=skin, locale=locale) as portal,
        tempfile.TemporaryDirectory() as data,
    ):
        if days:
            portal.advance(days=days)
        env = cli_env(portal, data)
        command = [sys.executable, "-m", "assistant", "--record", str(folder), "cancel", ORDER]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode not in (0, 1):
            sys.exit(f"{name}: recording failed ({result.returncode})\n{result.stderr}")
    (folder / "trace.zip").unlink(missing_ok=True)
    shutil.rmtree(folder / "screenshots", ignore_errors=True)
    print(f"recorded {name} ({scenario}, +{days} days, {skin}/{locale})")


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    wanted = sys.argv[1:] or list(PATHS)
    for name in wanted:
        record(name, *PATHS[name])


if __name__ == "__main__":
    main()
