"""The import direction of docs/architecture.md is enforced: a wrong-way import fails.

``make test`` runs ``lint-imports`` on the tree; these tests plant wrong-way imports in a
copy of the packages and check that the same contracts refuse them, so the check itself
cannot silently stop checking.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        check=False,
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the three packages and the contracts, to plant imports in."""
    for package in ("assistant", "flows", "mock_site"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        ("assistant/domain/models.py", "import flows.portal", "Layers"),
        ("assistant/domain/policy.py", "import sqlite3", "The domain is pure"),
        ("flows/portal.py", "import assistant.journal.store", "Layers"),
        ("assistant/journal/store.py", "import assistant.app.settings", "Layers"),
        ("assistant/app/runner.py", "import assistant.cli.render", "Layers"),
        (
            "assistant/app/runner.py",
            "from playwright.sync_api import Page",
            "The browser stays behind flows",
        ),
        ("mock_site/app.py", "import assistant.domain.models", "The mock portal stands alone"),
    ],
)
def test_a_wrong_way_import_breaks_a_contract(
    tree: Path, module: str, planted: str, broken: str
) -> None:
    path = tree / module
    path.write_text(path.read_text() + f"\n{planted}  # planted by the test\n")
    result = _lint(tree)
    assert result.returncode == 1, result.stdout
    verdicts = result.stdout.splitlines()
    assert any(v.startswith(broken) and v.endswith("BROKEN") for v in verdicts), result.stdout
