"""Bad input never reaches the portal or the journal: a clear error, exit code 2, and the
journal byte-identical (or still absent). Config files, orders files, order numbers,
portal URLs of other schemes, and the mock portal's own scenario files."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.journal.store import open_journal
from tests.reliability.clirun import CLI

MAIN = "8211279521850032"
FULLWIDTH = "８２１１２７９５２１８５００３２"  # 16 digits, but not ASCII ones
ARABIC_INDIC = "٨٢١١٢٧٩٥٢١٨٥٠٠٣٢"


def run(data_dir: Path, *args: str, config: Path | None = None, **env: str) -> tuple[int, str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(data_dir.parent),
        "ORDER_ASSISTANT_DATA_DIR": str(data_dir),
        "ORDER_ASSISTANT_CONFIG": str(config or data_dir.parent / "no-config.toml"),
        "ORDER_ASSISTANT_USERNAME": "buyer@example.com",
        "ORDER_ASSISTANT_PASSWORD": "buyer-pass-2026",
        # Never reached: a bad input must fail before any browser starts.
        "ORDER_ASSISTANT_BROWSER": "/nonexistent/chromium",
        "ORDER_ASSISTANT_PORTAL_URL": "http://127.0.0.1:9",
        **env,
    }
    environment = {k: v for k, v in environment.items() if v != ""}
    done = subprocess.run(
        [*CLI, *args], env=environment, capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, done.stdout + done.stderr


def fingerprint(data_dir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data_dir.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data dir whose journal already holds one case (what a bad input must not touch)."""
    from datetime import UTC, datetime

    folder = tmp_path / "data"
    with open_journal(folder / "journal.sqlite3") as journal:
        journal.open_case("buyer@example.com", MAIN, {"kind": "cancel"}, datetime.now(UTC))
    return folder


def refused(data_dir: Path, *args: str, words: tuple[str, ...] = (), **kw: object) -> str:
    before = fingerprint(data_dir)
    code, output = run(data_dir, *args, **kw)  # type: ignore[arg-type]
    assert code == 2, output
    assert "Traceback" not in output, output
    for word in words:
        assert word in output, (word, output)
    assert fingerprint(data_dir) == before, "the journal changed"
    return output


@pytest.mark.parametrize(
    "order",
    [
        "",
        "   ",
        "9" * 5000,
        "1; DROP TABLE cases",
        f"{MAIN}; DROP TABLE cases",
        FULLWIDTH,
        ARABIC_INDIC,
        "../../../etc/passwd",
        f"{MAIN}/../../x",
        "0x1f2e3d4c5b6a7980",
        "821127952185003２",
        "8211 2795 2185 0032",
    ],
)
def test_bad_order_numbers(data_dir: Path, order: str) -> None:
    output = refused(data_dir, "cancel", order, words=("ORDER",))
    assert "DROP TABLE" not in output or "not an order number" in output
    assert len(output) < 2000  # a huge input is shortened in the message


def test_an_order_number_that_looks_like_an_option(data_dir: Path) -> None:
    refused(data_dir, "cancel", "-8211279521850032", words=("No such option",))


def test_bad_order_number_for_status_and_plan(data_dir: Path) -> None:
    refused(data_dir, "status", FULLWIDTH, words=("not an order number",))
    refused(data_dir, "plan", "1; DROP TABLE cases", words=("not an order number",))


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("orders.csv", "order_id\n8211279521850032\nDROP TABLE cases\n", ("line 3",)),
        ("orders.csv", f"order_id\n{FULLWIDTH}\n", ("line 2",)),
        ("orders.csv", "", ("empty",)),
        ("orders.json", "[1, 2", ("not valid JSON",)),
        ("orders.json", '{"order_id": "8211279521850032"}', ("must hold a JSON list",)),
        ("orders.json", '[{"id": "8211279521850032"}]', ("entry 0",)),
        ("orders.json", '["../../etc/passwd"]', ("entry 0",)),
        ("orders.json", "[true]", ("entry 0",)),
        ("orders.json", "[]", ("ORDER", "no order given")),
    ],
)
def test_bad_orders_files(data_dir: Path, name: str, content: str, words: tuple[str, ...]) -> None:
    path = data_dir.parent / name
    path.write_text(content, encoding="utf-8")
    refused(data_dir, "cancel", "--from-file", str(path), words=words)


def test_unreadable_orders_files(data_dir: Path) -> None:
    binary = data_dir.parent / "orders.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    refused(data_dir, "cancel", "--from-file", str(binary), words=("--from-file",))
    refused(data_dir, "cancel", "--from-file", str(data_dir.parent / "missing.csv"))
    refused(data_dir, "cancel", "--from-file", str(data_dir.parent))


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('portal_url = "http://x', ("config",)),
        ("colour = 1", ("colour",)),
        ('concurrency = "many"', ("concurrency",)),
        ("concurrency = 99", ("concurrency",)),
        ("timeout_ms = -1", ("timeout_ms",)),
        ('accounts = "buyer"', ("accounts",)),
        ('[[accounts]]\nusername = "a"\npasswd = "x"', ("accounts",)),
        ('portal_url = "file:///etc/passwd"', ("portal_url", "http")),
        ('portal_url = "javascript:alert(1)"', ("portal_url", "http")),
        ('portal_url = "ftp://example.com/"', ("portal_url", "http")),
        ('now = "yesterday"', ("now",)),
    ],
)
def test_bad_config_files(data_dir: Path, toml: str, words: tuple[str, ...]) -> None:
    config = data_dir.parent / "config.toml"
    config.write_text(toml, encoding="utf-8")
    for command in (("cancel", MAIN), ("run",)):
        # No portal URL in the environment here: it would override the file's.
        refused(
            data_dir,
            "--config",
            str(config),
            *command,
            words=words,
            ORDER_ASSISTANT_PORTAL_URL="",
        )


def test_binary_and_missing_config_files(data_dir: Path) -> None:
    config = data_dir.parent / "config.toml"
    config.write_bytes(b"\x00\xff\xfe binary")
    refused(data_dir, "--config", str(config), "run", words=("config",))
    refused(data_dir, "--config", str(data_dir / "nope.toml"), "run", words=("--config",))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "ftp://example.com/",
        "data:text/html,<h1>x</h1>",
        "http://",
        "https:///orders",
        "http://exa mple.com",
    ],
)
def test_portal_urls_of_other_schemes(data_dir: Path, url: str) -> None:
    refused(data_dir, "--portal", url, "cancel", MAIN, words=("portal_url",))
    refused(data_dir, "cancel", MAIN, words=("portal_url",), ORDER_ASSISTANT_PORTAL_URL=url)


def test_no_journal_is_created_by_bad_input(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    code, output = run(folder, "cancel", FULLWIDTH)
    assert code == 2, output
    assert not folder.exists() or not any(folder.rglob("journal*")), "a journal was created"


BAD_SCENARIOS: list[tuple[str, Callable[[dict[str, object]], object], str]] = [
    ("syntax", lambda d: "{not json", "line 1"),
    ("no-accounts", lambda d: {**d, "accounts": []}, "accounts"),
    ("bad-state", lambda d: {**d, "orders": [{**d["orders"][0], "state": "lost"}]}, "state"),  # type: ignore[index]
    ("bad-id", lambda d: {**d, "orders": [{**d["orders"][0], "id": "12"}]}, "orders.0.id"),  # type: ignore[index]
    ("unknown-key", lambda d: {**d, "colour": "red"}, "colour"),
    (
        "bad-fault",
        lambda d: {**d, "faults": [{"path": "x", "drop": True, "status": 500}]},
        "faults",
    ),
    ("list", lambda d: [d], "(root)"),
]


@pytest.mark.parametrize(
    ("name", "change", "field"), BAD_SCENARIOS, ids=[b[0] for b in BAD_SCENARIOS]
)
def test_bad_scenario_files(
    tmp_path: Path, name: str, change: Callable[[dict[str, object]], object], field: str
) -> None:
    from mock_site.scenario import SCENARIO_DIR

    data = json.loads((SCENARIO_DIR / "awaiting_shipment.json").read_text("utf-8"))
    changed = change(data)
    path = tmp_path / f"{name}.json"
    path.write_text(changed if isinstance(changed, str) else json.dumps(changed), "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mock_site", "--scenario", str(path), "--port", "9"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done
    assert str(path) in done.stderr and field in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
