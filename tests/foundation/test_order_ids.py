"""One order-number rule for the model, order files and the CLI: 12-20 ASCII digits."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from assistant.app.order_lists import read_order_list
from assistant.domain.errors import ConfigError
from assistant.domain.order_ids import OrderId, parse_order_id
from tests.support.orders import SCENARIO_ORDER

MAIN = SCENARIO_ORDER


class Holder(BaseModel):
    order_id: OrderId


@pytest.mark.parametrize("value", [MAIN, "1" * 12, "9" * 20, f"  {MAIN}\t", f"\n{MAIN}\n"])
def test_ascii_numbers_of_12_to_20_digits_are_taken_trimmed(value: str) -> None:
    assert parse_order_id(value) == value.strip()
    assert Holder(order_id=value).order_id == value.strip()


@pytest.mark.parametrize(
    "value",
    [
        "８２１１２７９５２１８５００３２",  # fullwidth digits: \\d would take them
        "٨٢١١٢٧٩٥٢١٨٥٠٠٣٢",  # Arabic-Indic digits
        "1" * 11,
        "1" * 21,
        "8211 2795 2185 0032",
        "8211279521850032x",
        "-821127952185003",
        "",
        "1; DROP TABLE cases",
    ],
)
def test_anything_else_is_refused_with_the_value_and_the_rule(value: str) -> None:
    with pytest.raises(ValueError, match="is not an order number") as caught:
        parse_order_id(value)
    assert "12-20 digit" in str(caught.value)
    with pytest.raises(ValidationError):
        Holder(order_id=value)


def test_a_long_value_is_cut_in_the_message() -> None:
    with pytest.raises(ValueError, match=r"\.\.\.' is not") as caught:
        parse_order_id("x" * 100)
    assert "x" * 41 not in str(caught.value)


def test_the_order_model_refuses_fullwidth_digits() -> None:
    from assistant.domain.models import Order

    fields = {
        "store": "s",
        "total": {"amount": "1.00", "currency": "USD"},
        "status": "awaiting_shipment",
        "placed_at": "2026-01-05T10:00:00+00:00",
    }
    assert Order.model_validate({**fields, "order_id": f"Order ID: {MAIN}Copy"}).order_id == MAIN
    with pytest.raises(ValidationError, match="not an order number"):
        Order.model_validate({**fields, "order_id": "８２１１２７９５２１８５００３２"})


def test_order_files_use_the_same_rule(tmp_path: Path) -> None:
    good = tmp_path / "orders.csv"
    good.write_text(f"order_id\n {MAIN} \n", "utf-8")
    assert read_order_list(good) == [MAIN]
    bad = tmp_path / "bad.json"
    bad.write_text('["８２１１２７９５２１８５００３２"]', "utf-8")
    with pytest.raises(ConfigError, match=r"entry 0: .* is not an order number"):
        read_order_list(bad)
