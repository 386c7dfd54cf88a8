"""Reading a batch of order numbers from a CSV or JSON file, with errors that name the line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from assistant.domain.errors import ConfigError
from assistant.domain.order_ids import ORDER_ID_HINT, parse_order_id


def _checked(path: Path, where: str, value: str) -> str:
    """The order number, or an error naming the file and the line/entry that is wrong."""
    try:
        return parse_order_id(value)
    except ValueError as exc:
        raise ConfigError(
            f"{path}: {where}: {exc}",
            key="--from-file",
            fix=f"one order number per line: {ORDER_ID_HINT}",
        ) from None


def read_order_list(path: Path) -> list[str]:
    """Order numbers from ``orders.csv`` (column ``order_id`` or the first) or ``orders.json``.

    JSON may be a list of numbers/strings or of objects with ``order_id``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read {path}: {exc}", key="--from-file", fix="pass a readable CSV or JSON file"
        ) from None
    if path.suffix.lower() == ".json":
        return _from_json(path, text)
    return _from_csv(path, text)


def _from_json(path: Path, text: str) -> list[str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})",
            key="--from-file",
            fix='a JSON list of order numbers, e.g. ["8211279521850032"]',
        ) from None
    if not isinstance(data, list):
        raise ConfigError(
            f"{path} must hold a JSON list", key="--from-file", fix="wrap the orders in [...]"
        )
    found = []
    for index, entry in enumerate(data):
        value = entry.get("order_id") if isinstance(entry, dict) else entry
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ConfigError(
                f"{path}: entry {index} has no order number",
                key="--from-file",
                fix='each entry is a number string or an object with "order_id"',
            )
        found.append(_checked(path, f"entry {index}", str(value)))
    return found


def _from_csv(path: Path, text: str) -> list[str]:
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise ConfigError(f"{path} is empty", key="--from-file", fix="one order number per line")
    header = [cell.strip().lower() for cell in rows[0]]
    column = header.index("order_id") if "order_id" in header else 0
    body = rows[1:] if "order_id" in header else rows
    found = []
    for line_number, row in enumerate(body, start=2 if "order_id" in header else 1):
        if not row or not "".join(row).strip():
            continue
        if column >= len(row):
            raise ConfigError(
                f"{path}: line {line_number} has no order_id column",
                key="--from-file",
                fix="one order number per line, or an order_id column",
            )
        found.append(_checked(path, f"line {line_number}", row[column]))
    return found
