"""Scenario files: pydantic models and the loader.

A scenario describes the accounts, the orders (with their seller's behaviour and refund
timing) and the nuisances of one run of the mock portal. Files live in
`mock_site/scenarios/*.json` (the single source of truth, see fixtures/scenarios/README.md).
"""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .faults import Fault

SCENARIO_DIR = Path(__file__).parent / "scenarios"

DEFAULT_REASONS = [
    "I ordered the wrong product(s)",
    "I placed a duplicate order",
    "I am not able to contact the supplier",
    "The supplier said the product(s) I want is out of stock",
    "The supplier refuses to ship the product(s)",
    "The supplier did not ship the order on time as agreed",
    "Other reason(s)",
]

Money = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file, field and reason."""


class OrderState(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAYMENT_VERIFYING = "payment_verifying"
    AWAITING_SHIPMENT = "awaiting_shipment"
    CANCELLATION_REQUESTED = "cancellation_requested"
    CANCELLATION_REJECTED = "cancellation_rejected"
    SHIPPED = "shipped"
    SHIPMENT_CANCELED = "shipment_canceled"
    CLOSED = "closed"
    COMPLETED = "completed"


class ClosedReason(StrEnum):
    BUYER_CANCELLED = "buyer_cancelled"  # unpaid / verifying order cancelled at once
    SELLER_ACCEPTED = "seller_accepted"
    SELLER_TIMEOUT = "seller_timeout"  # 15 days of silence: closed in the buyer's favour
    SELLER_CANCELLED = "seller_cancelled"
    PLATFORM_CANCELLED = "platform_cancelled"
    EXPIRED = "expired"  # unpaid for 20 days


PAID_STATES = {
    OrderState.AWAITING_SHIPMENT,
    OrderState.CANCELLATION_REQUESTED,
    OrderState.CANCELLATION_REJECTED,
    OrderState.SHIPPED,
    OrderState.SHIPMENT_CANCELED,
    OrderState.COMPLETED,
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Verification(_Model):
    """A one-time-code step after the password: a TOTP secret or a fixed code."""

    totp_secret: str | None = Field(
        default=None, pattern=r"^[A-Z2-7]{24,}=*$", description="base32, at least 120 bits"
    )
    code: str | None = Field(default=None, pattern=r"^\d{4,8}$")

    @model_validator(mode="after")
    def _one_of(self) -> Verification:
        if (self.totp_secret is None) == (self.code is None):
            raise ValueError("give exactly one of totp_secret or code")
        return self


class Account(_Model):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=1)
    name: str = "Buyer"
    verification: Verification | None = None
    captcha: bool = False


class Item(_Model):
    title: str = Field(min_length=1)
    options: dict[str, str] = Field(default_factory=dict)
    price: Money
    qty: int = Field(default=1, ge=1)
    free_return: bool = False
    color: str = Field(default="#f3d9c7", description="the picture's placeholder colour")


class PlatformCoupon(_Model):
    amount: Money
    expires_at: AwareDatetime
    shared_with: list[str] = Field(
        default_factory=list, description="other orders paid with the same coupon"
    )


class PromoCode(_Model):
    code: str
    amount: Money


class Coupons(_Model):
    platform: PlatformCoupon | None = None
    seller: Money | None = None
    promo_code: PromoCode | None = None


class Reply(_Model):
    """The seller's answer to the buyer's n-th message, `after_hours` after it."""

    after_hours: float = Field(ge=0)
    text: str = Field(min_length=1)


class Seller(_Model):
    on_cancel: Literal["accept", "reject", "ignore", "ship", "drop"] = Field(
        default="ignore",
        description="drop: the portal silently drops the request after answer_after_hours",
    )
    answer_after_hours: float = Field(default=24, ge=0)
    ship_after_hours: float | None = Field(default=None, ge=0, description="from payment")
    cancel_after_hours: float | None = Field(
        default=None, ge=0, description="the seller cancels an unshipped order by itself"
    )
    replies: list[Reply] = Field(default_factory=list)


class TrackingEvent(_Model):
    time: AwareDatetime
    text: str


class Tracking(_Model):
    carrier: str = "Cainiao Standard Shipping"
    number: str = "LP00123456789012"
    events: list[TrackingEvent] = Field(default_factory=list)
    fails_after_hours: float | None = Field(
        default=None, ge=0, description="the shipment is cancelled this long after shipping"
    )
    delivered_after_hours: float | None = Field(default=None, ge=0)


class Hostile(_Model):
    """Page content that tries to fool a flow (issue 15); texts may use {title}, {store},
    {other} (another order of the same account, or `other`)."""

    title: str | None = Field(
        default=None, description='every product title becomes this, e.g. "{title} Cancel order"'
    )
    store: str | None = Field(default=None, description='the store name, e.g. "Submit"')
    other: str | None = Field(
        default=None, pattern=r"^\d{16}$", description="the order {other} and the card name"
    )
    injected_card: bool = Field(
        default=False, description="the detail page also shows the card of the order `other`"
    )
    chat: list[str] = Field(
        default_factory=list,
        description='seller messages already in the thread, e.g. ["Cancel order", "Send"]',
    )


class Order(_Model):
    id: str = Field(pattern=r"^\d{16}$")
    account: str
    state: OrderState
    placed_at: AwareDatetime
    paid_at: AwareDatetime | None = None
    payment_method: str = "Visa •••• 4242"
    store: str = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    shipping: Money = Decimal("0")
    coupons: Coupons = Field(default_factory=Coupons)
    seller: Seller = Field(default_factory=Seller)
    refund_days: tuple[float, float, float] = (0, 3, 7)
    cancel_button_delay_hours: Literal[0, 24] | None = None
    requested_at: AwareDatetime | None = None
    requested_reason: str | None = None
    shipped_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    closed_reason: ClosedReason | None = None
    tracking: Tracking = Field(default_factory=Tracking)
    hostile: Hostile | None = Field(default=None, description="hostile page content (issue 15)")

    @model_validator(mode="after")
    def _consistent(self) -> Order:
        if self.state == OrderState.AWAITING_PAYMENT and self.paid_at is not None:
            raise ValueError("an order awaiting payment has no paid_at")
        needs_paid = self.state in PAID_STATES or self.state == OrderState.PAYMENT_VERIFYING
        if needs_paid and self.paid_at is None:
            raise ValueError(f"state {self.state.value} needs paid_at")
        if self.paid_at is not None and self.paid_at < self.placed_at:
            raise ValueError("paid_at is before placed_at")
        if list(self.refund_days) != sorted(self.refund_days):
            raise ValueError("refund_days must be increasing")
        if self.state == OrderState.CLOSED and self.closed_reason is None:
            raise ValueError("a closed order needs closed_reason")
        return self


class Nuisances(_Model):
    cookie_banner: bool = False
    promo_popup_delay_ms: int | None = Field(default=None, ge=0)
    chat_bubble: bool = False
    slow_ms: int = Field(default=0, ge=0, le=10_000)
    loading_overlay_ms: int | None = Field(default=None, ge=0, le=10_000)


class PageWeight(_Model):
    """The payload every page also loads (see weight.py and docs/portal-ui.md)."""

    scripts: int = Field(default=0, ge=0, le=200)
    script_kb: float = Field(default=0, ge=0, le=20_000, description="all scripts together")
    script_work_ms: int = Field(
        default=0, ge=0, le=10_000, description="CPU the scripts burn together per page"
    )
    styles: int = Field(default=0, ge=0, le=100)
    style_kb: float = Field(default=0, ge=0, le=5_000)
    images: int = Field(default=0, ge=0, le=200)
    image_kb: float = Field(default=0, ge=0, le=50_000)
    fonts: int = Field(default=0, ge=0, le=20)
    font_kb: float = Field(default=0, ge=0, le=5_000)
    beacons: int = Field(default=0, ge=0, le=100, description="analytics POSTs to /beacon")
    cacheable: float = Field(
        default=1.0, ge=0, le=1, description="share of assets served immutable (the rest no-store)"
    )


class Flood(_Model):
    """The portal's flood defence (see flood.py): N actions within a window (wall time)."""

    max_actions: int = Field(default=20, ge=1, le=10_000)
    window_s: float = Field(default=60, gt=0, le=86_400)
    cooldown_s: float = Field(default=300, ge=0, le=86_400)
    count: Literal["actions", "requests"] = Field(
        default="actions",
        description="actions: state-changing requests; requests: every page and JSON call too",
    )


class Scenario(_Model):
    name: str
    description: str = ""
    now: AwareDatetime
    cancel_button_delay_hours: Literal[0, 24] = 0
    payment_verification_minutes: float = Field(default=5, gt=0)
    reasons: list[str] = Field(default_factory=lambda: list(DEFAULT_REASONS), min_length=1)
    accounts: list[Account] = Field(min_length=1)
    orders: list[Order] = Field(default_factory=list)
    nuisances: Nuisances = Field(default_factory=Nuisances)
    faults: list[Fault] = Field(
        default_factory=list, description="installed at every reset (see mock_site/faults.py)"
    )
    skin: Literal["accessible", "real"] | None = Field(
        default=None, description="the pages' markup when the app starts (CLI flag wins)"
    )
    locale: Literal["en", "es"] | None = Field(
        default=None, description="the real skin's language when the app starts (CLI flag wins)"
    )
    page_weight: Literal["none", "real"] | PageWeight = Field(
        default="none", description="the assets and beacons every page loads (CLI flag wins)"
    )
    flood: Flood | None = Field(default=None, description="the flood defence (off: None)")
    hostile: Hostile | None = Field(
        default=None, description="hostile content for every order without its own"
    )

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        emails = {a.email for a in self.accounts}
        if len(emails) != len(self.accounts):
            raise ValueError("duplicate account email")
        ids = [o.id for o in self.orders]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate order id")
        for order in self.orders:
            if order.account not in emails:
                raise ValueError(f"order {order.id}: unknown account {order.account!r}")
            if order.placed_at > self.now:
                raise ValueError(f"order {order.id}: placed_at is after now")
            hostile = order.hostile or self.hostile
            if hostile is not None and hostile.other is not None and hostile.other not in ids:
                raise ValueError(f"order {order.id}: hostile.other {hostile.other} is unknown")
        return self


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.json"))


def _format_errors(source: str, err: ValidationError) -> str:
    lines = [f"{source}: invalid scenario"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(root)"
        lines.append(f"  {loc}: {e['msg']}")
    return "\n".join(lines)


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_errors(source, err)) from err


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a bundled scenario by name (`demo`) or any JSON file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.json"
    if not path.is_file():
        known = ", ".join(scenario_names())
        raise ScenarioError(f"{name_or_path}: no such scenario (bundled: {known})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ScenarioError(f"{path}: line {err.lineno}: {err.msg}") from err
    return parse_scenario(data, str(path))
