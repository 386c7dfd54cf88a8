"""The "My Orders" list: cards drawn by script, "View orders" for more, a search box.

Used to list an account's orders and to find an order when its detail URL is unknown.
A card is found the way a person finds it: the box around one "Order details" link
(the largest one holding no other card's link), read by its "Order ID:" text. No card
markup is assumed (``<article>`` on an accessible portal, ``<div>``s on the real one).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from playwright.sync_api import Locator, Page
from pydantic import BaseModel, ConfigDict

from assistant.domain.models import Money, OrderStatus
from flows.controls import control, field
from flows.parsing import digits, lines, parse_datetime, parse_money, row_value
from flows.profile import PortalProfile
from flows.texts import find_label


class OrderSummary(BaseModel):
    """One card of the list, as shown (the detail page has the rest)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: str
    status: OrderStatus | None
    status_label: str
    order_date: datetime | None
    store: str | None
    total: Money | None


class Card(BaseModel):
    """What the list shows of one order, and how to reach its "Order details" link."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    text: str
    links: list[str]
    href: str | None


#: One entry per "Order details" control: the text of its card (the largest box around
#: it holding no other card's link and no page furniture), the card's links and the href.
_CARDS = """els => {
    const controls = [];
    const first = new Map();
    els.forEach((el, i) => {
        const c = el.closest('a, button, [role=link], [role=button]') || el;
        if (!first.has(c)) { first.set(c, i); controls.push(c); }
    });
    return controls.map(c => {
        let card = c;
        while (card.parentElement && card.parentElement !== document.body) {
            const up = card.parentElement;
            if (controls.some(o => o !== c && up.contains(o))) break;
            if (up.querySelector('input, textarea, select, h1, nav, [role=tablist]')) break;
            card = up;
        }
        return {
            index: first.get(c),
            text: card.innerText,
            links: Array.from(card.querySelectorAll('a')).map(a => a.innerText),
            href: c.closest('a') ? c.closest('a').getAttribute('href') : null,
        };
    });
}"""


class OrdersPage:
    """The orders list, located by its texts."""

    def __init__(self, page: Page, profile: PortalProfile) -> None:
        self.page = page
        self.profile = profile
        # One text element per card: what is counted and waited for.
        self.details = page.get_by_text(profile.exact("order_details"))
        self.details_links = page.get_by_role("link", name=profile.exact("order_details")).or_(
            self.details
        )
        self.cards = self.details  # kept for callers that wait for "the first card"
        self.search_box = field(page, profile.texts("search_box")).first
        self.no_orders = page.get_by_text(profile.contains("no_orders"))

    def ready(self) -> Locator:
        """What proves the list is drawn: a card or the "no orders" text."""
        return self.details.first.or_(self.no_orders.first)

    def wait_drawn(self) -> None:
        """Wait until the script has drawn the cards (or said there are none)."""
        self.ready().first.wait_for()

    def read_cards(self) -> list[Card]:
        """Every card drawn so far."""
        found: list[dict[str, Any]] = self.details_links.evaluate_all(_CARDS)
        return [Card.model_validate(card) for card in found]

    def card_of(self, order_id: str) -> Card | None:
        """The card of one order, by the number after its "Order ID:" label."""
        for card in self.read_cards():
            if self.order_id_of(card.text) == order_id:
                return card
        return None

    def card(self, order_id: str) -> Locator:
        """Elements showing the order's number (to wait for its card)."""
        return self.page.get_by_text(re.compile(rf"(?<!\d){re.escape(order_id)}(?!\d)"))

    def order_id_of(self, text: str) -> str:
        value = row_value(text, self.profile.texts("order_id")) or ""
        return digits(value.split()[0]) if value.split() else ""

    def load_more(self) -> bool:
        """Press "View orders" once and wait for more cards; False when there is none."""
        more = control(self.page, self.profile.texts("view_orders"))
        if more is None:
            return False
        count = self.details.count()
        more.click()
        self.details.nth(count).wait_for(state="attached")
        return True

    def load_all(self, limit: int = 1000) -> int:
        """Press "View orders" until every card is drawn (or ``limit`` cards); the count."""
        self.wait_drawn()
        while self.details.count() < limit and self.load_more():
            pass
        return self.details.count()

    def find(self, order_id: str, *, limit: int = 1000) -> Card | None:
        """The order's card: searched for when the page has a search box, else paged to."""
        self.wait_drawn()
        found = self.card_of(order_id)
        if found is None and self.search_box.is_visible():
            self.search(order_id)
            found = self.card_of(order_id)
        while found is None and self.details.count() < limit and self.load_more():
            found = self.card_of(order_id)
        return found

    def search(self, text: str) -> None:
        """Use the portal's search box and wait for the matching cards (or none)."""
        self.search_box.fill(text)
        button = control(self.page, self.profile.texts("search_button"))
        if button is not None:
            button.click()
        else:
            self.search_box.press("Enter")
        # A GET form loads a new page, a script redraws in place: either way the list
        # ends showing the order's number or "no orders".
        self.card(text).first.or_(self.no_orders.first).wait_for()
        self.wait_drawn()

    def open_details(self, order_id: str) -> Card:
        """Follow the card's own "Order details" link (the card must be drawn)."""
        card = self.card_of(order_id)
        if card is None:
            raise LookupError(order_id)
        self.details_links.nth(card.index).click()
        return card

    def summaries(self) -> list[OrderSummary]:
        """Every drawn card, parsed; one browser call for all cards."""
        return [self._summary(card.text, card.links) for card in self.read_cards()]

    def _summary(self, text: str, links: list[str]) -> OrderSummary:
        rows = lines(text)
        label = _status_line(rows, self.profile, self.profile.texts("order_id"))
        skip = {
            *self.profile.texts("order_details"),
            *self.profile.texts("contact_seller"),
            *self.profile.actions,
        }
        formats = self.profile.formats
        return OrderSummary(
            order_id=self.order_id_of(text),
            status=self.profile.status_for(label),
            status_label=label,
            order_date=parse_datetime(text, formats),
            store=next(
                (name.strip() for name in links if name.strip() and not find_label(name, skip)),
                None,
            ),
            total=parse_money(row_value(text, self.profile.texts("total")) or "", formats),
        )


def _status_line(rows: list[str], profile: PortalProfile, id_labels: list[str]) -> str:
    """The status label nearest the "Order ID:" line (a card's header holds both)."""
    anchor = next((i for i, row in enumerate(rows) if find_label(row, id_labels)), 0)
    known = [i for i, row in enumerate(rows) if profile.status_for(row)]
    if not known:
        return rows[0] if rows else ""
    return rows[min(known, key=lambda i: (abs(i - anchor), i))]
