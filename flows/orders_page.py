"""The "My Orders" list: cards drawn by script, "View orders" for more, a search box.

Used to list an account's orders and to find an order when its detail URL is unknown.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from playwright.sync_api import Locator, Page
from pydantic import BaseModel, ConfigDict

from assistant.domain.models import Money, OrderStatus
from flows.parsing import digits, lines, parse_datetime, parse_money, row_value
from flows.profile import PortalProfile


class OrderSummary(BaseModel):
    """One card of the list, as shown (the detail page has the rest)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: str
    status: OrderStatus | None
    status_label: str
    order_date: datetime | None
    store: str | None
    total: Money | None


class OrdersPage:
    """Locators of the orders list, set once."""

    def __init__(self, page: Page, profile: PortalProfile) -> None:
        self.page = page
        self.profile = profile
        self.heading = page.get_by_role("heading", name=profile.exact("orders_heading"))
        self.cards = page.get_by_role("article").filter(has_text=profile.contains("order_id"))
        self.view_more = page.get_by_role("button", name=profile.exact("view_orders"))
        self.search_box = page.get_by_role("searchbox", name=profile.exact("search_box"))
        self.search_button = page.get_by_role("button", name=profile.exact("search_button"))
        self.no_orders = page.get_by_text(profile.exact("no_orders"))

    def wait_drawn(self) -> None:
        """Wait until the script has drawn the cards (or said there are none)."""
        self.cards.first.or_(self.no_orders).wait_for()

    def card(self, order_id: str) -> Locator:
        """The card of one order (its text holds the order number).

        Not part of a longer number; no word boundary after it, as the card's text content
        runs on into the button ("8211279521850032Copy").
        """
        return self.cards.filter(has_text=re.compile(rf"(?<!\d){re.escape(order_id)}(?!\d)"))

    def load_all(self, limit: int = 1000) -> int:
        """Press "View orders" until every card is drawn (or ``limit`` cards); the count."""
        self.wait_drawn()
        count = self.cards.count()
        while count < limit and self.view_more.is_visible():
            self.view_more.click()
            self.cards.nth(count).or_(self.view_more).last.wait_for()
            self.cards.nth(count).wait_for(state="attached", timeout=10_000)
            count = self.cards.count()
        return count

    def search(self, text: str) -> None:
        """Use the portal's search box and wait for the matching cards."""
        self.search_box.fill(text)
        # The search box is a GET form: the results are a new page. Waiting for the load
        # state instead raced the navigation and read the old list's cards.
        with self.page.expect_navigation():
            self.search_button.click()
        self.wait_drawn()

    def open_details(self, order_id: str) -> None:
        """Follow the card's own "Order details" link."""
        link = self.card(order_id).get_by_role("link", name=self.profile.exact("order_details"))
        link.first.click()

    def summaries(self) -> list[OrderSummary]:
        """Every drawn card, parsed; one browser call for all cards, not three per card."""
        cards: list[dict[str, Any]] = self.cards.evaluate_all(_CARD_TEXTS)
        return [self._summary(card["text"], card["links"]) for card in cards]

    def _summary(self, text: str, links: list[str]) -> OrderSummary:
        rows = lines(text)
        label = next((row for row in rows if self.profile.status_for(row)), rows[0] if rows else "")
        order_id = digits(row_value(text, self.profile.texts("order_id")) or "")
        skip = set(self.profile.texts("order_details"))
        return OrderSummary(
            order_id=order_id,
            status=self.profile.status_for(label),
            status_label=label,
            order_date=parse_datetime(text),
            store=next((name.strip() for name in links if name.strip() not in skip), None),
            total=parse_money(row_value(text, self.profile.texts("total")) or ""),
        )


#: The visible text of each card and of its links (the store name is a link).
_CARD_TEXTS = """cards => cards.map(card => ({
    text: card.innerText,
    links: Array.from(card.querySelectorAll("a")).map(link => link.innerText),
}))"""
