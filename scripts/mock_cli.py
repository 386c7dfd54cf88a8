"""The environment for running ``order-assistant`` against a bundled mock portal, for the
scripts that make fixtures and docs (recordings, terminal captures)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flows.browser.sessions import new_key
from mock_site.server import MockPortal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `tests` is not installed
from tests.support.cli import NO_PACING


def cli_env(portal: MockPortal, data_dir: str) -> dict[str, str]:
    """This process's environment (no ORDER_ASSISTANT_* of the shell), the portal's first
    account, a data dir, no config file, and the portal's simulated clock."""
    account = portal.portal.scenario.accounts[0]
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ORDER_ASSISTANT_")},
        "ORDER_ASSISTANT_PORTAL_URL": portal.url,
        "ORDER_ASSISTANT_USERNAME": account.email,
        "ORDER_ASSISTANT_PASSWORD": account.password,
        "ORDER_ASSISTANT_DATA_DIR": data_dir,
        "ORDER_ASSISTANT_CONFIG": str(Path(data_dir) / "none.toml"),
        "ORDER_ASSISTANT_NOW": portal.state()["now"],
        "ORDER_ASSISTANT_SESSION_KEY": new_key(),
        **NO_PACING,
    }

