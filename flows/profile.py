"""The portal profile: every visible string and entry point the flows rely on, as data.

A portal in another language, or one that renamed a button, needs a new profile file, not
code changes. The bundled profile describes the mock portal and the label variants seen on
the real site; URL patterns are optional, and without them the flows follow the page's own
links ("My Orders", "Order details").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.domain.errors import ConfigError
from assistant.domain.models import OrderStatus, PortalAction

LabelKey = Literal[
    "email", "continue", "password", "sign_in", "verification_code", "verify", "captcha",
    "not_found", "orders_heading", "order_card_prefix", "order_details", "view_orders",
    "search_box", "search_button", "no_orders", "order_status_region", "order_info",
    "order_id", "placed_on", "payment_time", "price_details", "subtotal", "shipping",
    "total", "platform_coupon", "seller_coupon", "promo_code", "rejected_note", "seller_has",
    "cancel_available_after", "cancel_order", "cancel_dialog", "request_cancellation",
    "reason_picker", "submit", "report_question", "yes", "no", "already_pending",
    "contact_seller", "message_box", "send", "thread", "you", "order_tab", "payment_tab",
    "refund_progress", "refund_amount", "step_done", "no_refund",
]  # fmt: skip


class EntryPoints(BaseModel):
    """Paths on the portal's origin; ``None`` means "follow the page's links instead"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    login_path: str = "/login"
    orders_path: str = "/orders"
    order_detail_path: str | None = None
    messages_path: str | None = None


class Nuisance(BaseModel):
    """Something that covers the page (banner, pop-up, chat) and the button that closes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["dialog", "region", "complementary", "alertdialog", "banner"]
    name: str
    close: str


class PortalProfile(BaseModel):
    """Labels (each with its variants), status and button vocabularies, entry points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    entry: EntryPoints = EntryPoints()
    labels: dict[LabelKey, list[str]]
    statuses: dict[str, OrderStatus]
    actions: dict[str, PortalAction]
    nuisances: list[Nuisance] = Field(default_factory=list)
    test_ids: dict[str, str] = Field(default_factory=dict)

    def texts(self, key: LabelKey) -> list[str]:
        """All variants of one label."""
        return self.labels[key]

    def exact(self, key: LabelKey) -> re.Pattern[str]:
        """A pattern matching any variant of a label exactly (for accessible names)."""
        return any_of(self.labels[key])

    def contains(self, key: LabelKey) -> re.Pattern[str]:
        """A pattern matching any variant of a label anywhere in a text."""
        return re.compile("|".join(re.escape(t) for t in self.labels[key]))

    def status_for(self, label: str) -> OrderStatus | None:
        """The state a status label means, tolerant of case and spelling of "cancel(l)ed"."""
        wanted = _norm(label)
        for text, status in self.statuses.items():
            if _norm(text) == wanted:
                return status
        return None


def any_of(texts: Sequence[str], flags: int = 0) -> re.Pattern[str]:
    """A pattern matching exactly one of ``texts`` (a whole accessible name or text)."""
    return re.compile("^(?:" + "|".join(re.escape(t) for t in texts) + ")$", flags)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold().replace("cancelled", "canceled")


def load_profile(path: Path | None = None) -> PortalProfile:
    """Read a profile file (default: the bundled mock-en), with a clear error if malformed."""
    if path is None:
        return _bundled()
    try:
        return PortalProfile.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise ConfigError(
            f"portal profile {str(path)!r} is not valid: {exc}".splitlines()[0],
            key="portal_profile",
            fix="start from flows/profiles/mock-en.json and keep every key",
        ) from None


@cache
def _bundled() -> PortalProfile:
    text = resources.files("flows").joinpath("profiles/mock-en.json").read_text("utf-8")
    return PortalProfile.model_validate_json(text)
