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
from flows.parsing import ENGLISH, Formats
from flows.texts import find_label, norm, pattern, same

LabelKey = Literal[
    "email", "continue", "password", "sign_in", "verification_code", "verify", "captcha",
    "sign_in_refused", "not_found", "my_orders", "orders_heading", "order_card_prefix",
    "order_details", "view_orders", "search_box", "search_button", "no_orders",
    "order_status_region", "order_info", "order_id", "order_date", "placed_on",
    "payment_time", "price_details", "subtotal", "shipping", "total", "platform_coupon",
    "seller_coupon", "promo_code", "rejected_note", "seller_has", "cancel_available_after",
    "cancel_order", "cancel_dialog", "request_cancellation", "reason_picker", "submit",
    "report_question", "yes", "no", "already_pending", "contact_seller", "message_box",
    "send", "thread", "no_messages", "you", "order_tab", "payment_tab", "refund_progress",
    "refund_amount", "step_done", "step_pending", "no_refund", "by_seller", "by_platform",
]  # fmt: skip


class EntryPoints(BaseModel):
    """Paths on the portal's origin; ``None`` means "follow the page's links instead".

    They are an optimisation: without them the flows start at the portal's start URL,
    follow "My Orders", the card's "Order details" and "Contact seller", and remember the
    URL patterns of the links they followed (see ``flows.routes``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    login_path: str | None = None
    orders_path: str | None = "/orders"
    order_detail_path: str | None = None
    messages_path: str | None = None


class Nuisance(BaseModel):
    """Something that covers the page (banner, pop-up, chat) and the control that closes it.

    ``name`` is a text it shows (or, with ``role``, its accessible name); ``close`` is the
    closing control's text, image alt or title. The handler fires only for a ``close``
    inside the smallest box showing ``name``, so a modal's own "Close" is never touched.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["dialog", "region", "complementary", "alertdialog", "banner"] | None = None
    name: str
    close: str


class PortalProfile(BaseModel):
    """Labels (each with its variants), status and button vocabularies, entry points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    #: Page languages (``<html lang>``, primary subtag) this profile reads.
    lang: list[str] = Field(default_factory=lambda: ["en"])
    entry: EntryPoints = EntryPoints()
    labels: dict[LabelKey, list[str]]
    statuses: dict[str, OrderStatus]
    actions: dict[str, PortalAction]
    #: The portal's wording of each reason the assistant knows (its English name, as in
    #: ``preferred_reasons``) -> the label the portal shows in this language.
    reasons: dict[str, str] = Field(default_factory=dict)
    formats: Formats = ENGLISH
    nuisances: list[Nuisance] = Field(default_factory=list)
    #: Origins the flows may visit besides the portal's own site (e.g. a sign-in host on
    #: another domain): "https://passport.example.net".
    allowed_origins: list[str] = Field(default_factory=list)
    test_ids: dict[str, str] = Field(default_factory=dict)
    #: Set on the default profile only (none named): another bundled profile may be
    #: picked from the page's language or labels.
    auto_detect: bool = False

    def texts(self, key: LabelKey) -> list[str]:
        """All variants of one label (none when the profile lacks it)."""
        return self.labels.get(key, [])

    def exact(self, key: LabelKey) -> re.Pattern[str]:
        """A pattern matching any variant of a label as a whole text (normalised)."""
        return pattern(self.texts(key))

    def contains(self, key: LabelKey) -> re.Pattern[str]:
        """A pattern matching any variant of a label inside a longer text (normalised)."""
        return pattern(self.texts(key), exact=False)

    def status_for(self, label: str) -> OrderStatus | None:
        """The state a status label means (compared normalised: case, "Cancel(l)ed", ...)."""
        wanted = norm(label)
        for text, status in self.statuses.items():
            if norm(text) == wanted:
                return status
        return None

    def local_reasons(self, wanted: Sequence[str]) -> list[str]:
        """The reasons to look for, in order, in the portal's language (and as given)."""
        result: list[str] = []
        by_norm = {norm(k): v for k, v in self.reasons.items()}
        for reason in wanted:
            for text in (by_norm.get(norm(reason)), reason):
                if text and text not in result:
                    result.append(text)
        return result

    def english_reason(self, label: str) -> str:
        """The assistant's name of a reason the portal shows (the label itself if unknown).

        A label spelled exactly as one of the profile's wins over the ``norm`` variants:
        "Otros motivos" is "Other reasons", not "Other reason(s)" ("Otro(s) motivo(s)").
        """
        shown = " ".join(label.split())
        for english, local in self.reasons.items():
            if " ".join(local.split()) == shown:
                return english
        for english, local in self.reasons.items():
            if same(local, label):
                return english
        return label


def any_of(texts: Sequence[str], flags: int = 0) -> re.Pattern[str]:
    """A pattern matching exactly one of ``texts`` (a whole accessible name or text)."""
    return re.compile("^(?:" + "|".join(re.escape(t) for t in texts) + ")$", flags)


BUNDLED = ("mock-en", "en", "es")


def load_profile(path: Path | str | None = None) -> PortalProfile:
    """A profile file, or a bundled profile by name ("en", "es", "mock-en").

    Without one: the bundled mock-en profile, free to switch to the bundled profile of the
    page's language when the portal turns out not to be the mock (``auto_detect``).
    """
    if path is None:
        return bundled("mock-en").model_copy(update={"auto_detect": True})
    name = str(path)
    if name in BUNDLED:
        return bundled(name)
    try:
        return PortalProfile.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise ConfigError(
            f"portal profile {name!r} is not valid: {exc}".splitlines()[0],
            key="portal_profile",
            fix=f"name a bundled profile ({', '.join(BUNDLED)}) or a file like "
            "flows/profiles/en.json (see docs/profiles.md)",
        ) from None


@cache
def bundled(name: str) -> PortalProfile:
    """One of the profiles shipped in flows/profiles/."""
    text = resources.files("flows").joinpath(f"profiles/{name}.json").read_text("utf-8")
    return PortalProfile.model_validate_json(text)


def detect_profile(lang: str, page_text: str) -> PortalProfile | None:
    """The bundled real-site profile for a page: by its ``lang``, else by the labels it shows."""
    primary = lang.split("-", maxsplit=1)[0].casefold()
    for name in ("en", "es"):
        if primary and primary in bundled(name).lang:
            return bundled(name)
    for name in ("en", "es"):
        profile = bundled(name)
        keys: tuple[LabelKey, ...] = ("my_orders", "email", "order_id", "sign_in")
        if any(find_label(page_text, profile.texts(key)) for key in keys):
            return profile
    return None
