"""Bad input never reaches the portal or the journal: a clear error, exit code 2, and the
journal byte-identical (or still absent). Config files, orders files, order numbers,
portal URLs of other schemes, and the mock portal's own scenario files.

Nothing here needs a browser or a process of its own: the CLI runs in-process."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.journal.store import open_journal
from tests.support.cli import invoke
from tests.support.orders import SCENARIO_ORDER
from tests.support.scenarios import scenario

FULLWIDTH = "８２１１２７９５２１８５００３２"  # 16 digits, but not ASCII ones
ARABIC_INDIC = "٨٢١١٢٧٩٥٢١٨٥٠٠٣٢"


def run(data_dir: Path, *args: str, config: Path | None = None, **env: str) -> tuple[int, str]:
    """The CLI with nothing but its own settings; ``""`` for a variable removes it."""
    environment: dict[str, str | None] = {
        "HOME": str(data_dir.parent),
        "XDG_CONFIG_HOME": None,
        "XDG_STATE_HOME": None,
        "ORDER_ASSISTANT_DATA_DIR": str(data_dir),
        "ORDER_ASSISTANT_CONFIG": str(config or data_dir.parent / "no-config.toml"),
        "ORDER_ASSISTANT_USERNAME": "buyer@example.com",
        "ORDER_ASSISTANT_PASSWORD": "buyer-pass-2026",
        # Never reached: a bad input must fail before any browser starts.
        "ORDER_ASSISTANT_BROWSER": "/nonexistent/chromium",
        "ORDER_ASSISTANT_PORTAL_URL": "http://127.0.0.1:9",
        **{key: value or None for key, value in env.items()},
    }
    result = invoke(*args, env=environment)
    return result.returncode, result.output


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
        now = datetime.now(UTC)
        journal.open_case("buyer@example.com", SCENARIO_ORDER, {"kind": "cancel"}, now)
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
        f"{SCENARIO_ORDER}; DROP TABLE cases",
        FULLWIDTH,
        ARABIC_INDIC,
        "../../../etc/passwd",
        f"{SCENARIO_ORDER}/../../x",
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
    refused(data_dir, "cancel", f"-{SCENARIO_ORDER}", words=("No such option",))


def test_bad_order_number_for_status_and_plan(data_dir: Path) -> None:
    refused(data_dir, "status", FULLWIDTH, words=("not an order number",))
    refused(data_dir, "plan", "1; DROP TABLE cases", words=("not an order number",))


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("orders.csv", f"order_id\n{SCENARIO_ORDER}\nDROP TABLE cases\n", ("line 3",)),
        ("orders.csv", f"order_id\n{FULLWIDTH}\n", ("line 2",)),
        ("orders.csv", "", ("empty",)),
        ("orders.json", "[1, 2", ("not valid JSON",)),
        ("orders.json", f'{{"order_id": "{SCENARIO_ORDER}"}}', ("must hold a JSON list",)),
        ("orders.json", f'[{{"id": "{SCENARIO_ORDER}"}}]', ("entry 0",)),
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
    for command in (("cancel", SCENARIO_ORDER), ("run",)):
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
    # The error names where the bad value came from: the option, or the variable.
    refused(
        data_dir, "--portal", url, "cancel", SCENARIO_ORDER, words=("--portal", "--portal option")
    )
    refused(
        data_dir,
        "cancel",
        SCENARIO_ORDER,
        words=("portal_url", "ORDER_ASSISTANT_PORTAL_URL"),
        ORDER_ASSISTANT_PORTAL_URL=url,
    )


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
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    change: Callable[[dict[str, object]], object],
    field: str,
) -> None:
    from mock_site.__main__ import main as mock_portal_main

    changed = change(scenario("awaiting_shipment"))
    path = tmp_path / f"{name}.json"
    path.write_text(changed if isinstance(changed, str) else json.dumps(changed), "utf-8")
    # `python -m mock_site` in-process: a traceback would fail the test by itself.
    code = mock_portal_main(["--scenario", str(path), "--port", "9"])
    stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert str(path) in stderr and field in stderr, stderr
