"""A read-only check of a portal against the profile: which texts and controls are there.

``probe(portal)`` signs in, opens the orders list, one card, that order's detail page and
its chat, and clicks nothing that changes anything (only links and the list's own
paging). Each step reports the labels it found and the ones it missed, so after the
portal changes a person sees at once which text to add to the profile.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from assistant.domain.errors import AssistantError, first_line
from flows.controls import control
from flows.portal import Portal
from flows.profile import LabelKey, PortalProfile
from flows.steps import step
from flows.texts import find_label


class ProbeStep(BaseModel):
    """One page of the probe: the labels looked for, found and missing."""

    model_config = ConfigDict(extra="forbid")

    name: str
    url: str | None = None
    found: list[str] = Field(default_factory=list)
    #: Required texts or controls not on the page, each as "key: 'variant' / 'variant'".
    missing: list[str] = Field(default_factory=list)
    #: Optional ones (present only in some states, e.g. "Cancel order").
    absent_optional: list[str] = Field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.missing and self.error is None


class ProbeReport(BaseModel):
    """The whole check; ``ok`` is False when any step missed a required text (exit 3)."""

    model_config = ConfigDict(extra="forbid")

    portal_url: str
    profile: str
    order_id: str | None = None
    steps: list[ProbeStep] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps) and len(self.steps) == len(STEPS)

    @property
    def missing(self) -> list[str]:
        return [f"{s.name}: {m}" for s in self.steps for m in s.missing] + [
            f"{s.name}: {s.error}" for s in self.steps if s.error
        ]


STEPS = ("sign in", "orders list", "order card", "order detail", "chat")
#: (label key, is a control, required) per step.
_LIST: tuple[tuple[LabelKey, bool, bool], ...] = (
    ("order_details", True, True),
    ("order_id", False, True),
    ("search_box", False, False),
    ("view_orders", True, False),
)
_CARD: tuple[tuple[LabelKey, bool, bool], ...] = (
    ("order_id", False, True),
    ("order_date", False, False),
    ("total", False, True),
)
_DETAIL: tuple[tuple[LabelKey, bool, bool], ...] = (
    ("order_id", False, True),
    ("placed_on", False, True),
    ("total", False, True),
    ("contact_seller", True, True),
    ("payment_tab", True, True),
    ("order_tab", True, True),
    ("cancel_order", True, False),
)
_CHAT: tuple[tuple[LabelKey, bool, bool], ...] = (
    ("order_id", False, True),
    ("send", True, True),
)


def _describe(profile: PortalProfile, key: LabelKey) -> str:
    return f"{key}: " + " / ".join(repr(t) for t in profile.texts(key))


def _check(
    portal: Portal, result: ProbeStep, keys: tuple[tuple[LabelKey, bool, bool], ...], text: str
) -> None:
    """Sort each key into found (with the variant the page shows), missing or absent."""
    profile = portal.profile
    for key, is_control, required in keys:
        texts = profile.texts(key)
        shown: str | None
        if is_control:
            found = control(portal.page, texts)
            shown = " ".join(found.inner_text().split()) or texts[0] if found else None
        else:
            shown = find_label(text, texts)
        if key == "search_box" and shown is None:
            box = portal.page.get_by_placeholder(profile.exact(key))
            shown = box.first.get_attribute("placeholder") if box.count() else None
        if shown is not None:
            result.found.append(f"{key}: {shown!r}")
        elif required:
            result.missing.append(_describe(profile, key))
        else:
            result.absent_optional.append(_describe(profile, key))


def probe(portal: Portal, order_id: str | None = None) -> ProbeReport:
    """Check every page the flows use, read-only; never raises for what it finds missing.

    ``order_id``: the order to open (default: the first card of the list).
    """
    return _Probe(portal, order_id).run()


class _Probe:
    def __init__(self, portal: Portal, order_id: str | None) -> None:
        self.portal = portal
        self.page = portal.page
        self.order_id = order_id
        self.report = ProbeReport(portal_url=portal.base_url, profile=portal.profile.name)

    def run(self) -> ProbeReport:
        if self._step("sign in", self.signed_in):
            for name, body in (
                ("orders list", self.orders_list),
                ("order card", self.card),
                ("order detail", self.detail),
                ("chat", self.chat),
            ):
                self._step(name, body)
        return self.report

    def _step(self, name: str, body: Callable[[ProbeStep], None]) -> bool:
        result = ProbeStep(name=name)
        self.report.steps.append(result)
        try:
            with step(f"probe: {name}", order_id=self.order_id, url=self.portal.base_url):
                body(result)
        except AssistantError as exc:
            result.error = first_line(exc)
        result.url = self.page.url
        return result.error is None

    def body_text(self) -> str:
        return self.page.locator("body").inner_text()

    def signed_in(self, result: ProbeStep) -> None:
        self.portal.ensure_signed_in()
        self.report.profile = self.portal.profile.name
        result.found.append("signed in")

    def orders_list(self, result: ProbeStep) -> None:
        orders = self.portal.open_orders()
        orders.wait_drawn()
        _check(self.portal, result, _LIST, self.body_text())
        cards = orders.read_cards()
        if self.order_id is None and cards:
            self.order_id = orders.order_id_of(cards[0].text) or None
        self.report.order_id = self.order_id

    def card(self, result: ProbeStep) -> None:
        if self.order_id is None:
            result.missing.append("an order card (no orders, or no readable 'Order ID:')")
            return
        found = self.portal.open_orders().find(self.order_id)
        if found is None:
            result.missing.append(f"the card of order {self.order_id}")
            return
        _check(self.portal, result, _CARD, found.text)
        status = self.portal.profile.status_for
        label = next((r for r in found.text.splitlines() if status(r)), None)
        (result.found if label else result.missing).append(f"status label: {label or '?'}")

    def detail(self, result: ProbeStep) -> None:
        if self.order_id is None:
            result.missing.append("an order to open")
            return
        order_page = self.portal.goto_order(self.order_id)
        try:
            result.found.append(f"status label: {order_page.status_label(self.order_id)!r}")
        except AssistantError as exc:
            result.missing.append(first_line(exc))
        _check(self.portal, result, _DETAIL, order_page.text())

    def chat(self, result: ProbeStep) -> None:
        if self.order_id is None:
            result.missing.append("an order to open")
            return
        self.portal.goto_thread(self.order_id)
        _check(self.portal, result, _CHAT, self.body_text())
        wanted = self.portal.profile.exact("message_box")
        box = self.page.get_by_placeholder(wanted).or_(self.page.get_by_label(wanted))
        if box.count():
            shown = box.first.get_attribute("placeholder") or "a labelled text box"
            result.found.append(f"message_box: {shown!r}")
        else:
            result.missing.append(_describe(self.portal.profile, "message_box"))
