"""Other orders shown on one order's page: their cards, found and left out.

A detail page may also show another order's card (a "related orders" box, or content
planted to fool a flow, issue 15): its own "Order ID:", status, total and "Cancel order".
A person reads the order they opened and ignores the card; the flows do the same. The card
is found the way a person sees it: the box around a link to another order's details (its
"Order details"), grown for as long as it shows one order status only, its own. Whatever
lies in such a box is neither read nor clicked for the order asked for.

A box that cannot be bounded (no second status anywhere) grows to the whole page, so the
order's own page reads as empty and the flow stops with "portal changed": never a guess.
"""

from __future__ import annotations

from playwright.sync_api import JSHandle, Locator, Page

from flows.profile import PortalProfile

#: The cards of other orders: for each "Order details" control whose link does not lead
#: to ``orderId`` (or has no link), the largest box around it holding at most one of the
#: ``statuses`` elements.
_CARDS = """([links, statuses, orderId]) => {
    const own = (el) => {
        const link = el.closest('a[href]');
        if (!orderId || !link) return false;
        return new RegExp('(^|\\\\D)' + orderId + '(\\\\D|$)').test(link.getAttribute('href'));
    };
    const cards = [];
    for (const link of links) {
        if (own(link)) continue;
        let card = link;
        while (card.parentElement && card.parentElement !== document.body) {
            const up = card.parentElement;
            if (statuses.filter(s => up.contains(s)).length > 1) break;
            card = up;
        }
        if (!cards.includes(card)) cards.push(card);
    }
    return cards;
}"""

#: The page's visible text without the cards: the text of every visible element that
#: holds no card, in page order, one block per line.
_TEXT_WITHOUT = """cards => {
    const parts = [];
    const shown = (el) => el.getClientRects().length > 0
        || getComputedStyle(el).display === 'contents';
    const walk = (node) => {
        for (const child of node.childNodes) {
            if (child.nodeType === Node.TEXT_NODE) {
                const text = child.textContent.trim();
                if (text) parts.push(text);
            } else if (child.nodeType === Node.ELEMENT_NODE && !cards.includes(child)
                       && shown(child)) {
                if (cards.some(card => child.contains(card))) walk(child);
                else parts.push(child.innerText);
            }
        }
    };
    walk(document.body);
    return parts.join('\\n');
}"""

#: The texts of the elements that lie in none of the cards.
_TEXTS_OUTSIDE = """(els, cards) => els
    .filter(el => !cards.some(card => card.contains(el)))
    .map(el => el.innerText)"""


class OtherOrders:
    """The cards of other orders on the page as it is drawn now (none: ``cards`` is None).

    Found again for every read or click: a page drawn by script replaces its elements.
    """

    def __init__(self, page: Page, cards: JSHandle | None) -> None:
        self.page = page
        #: A handle on the array of card elements, for ``controls(..., outside=...)``.
        self.cards = cards

    @classmethod
    def on(
        cls, page: Page, profile: PortalProfile, order_id: str | None, statuses: Locator
    ) -> OtherOrders:
        """The other orders' cards on ``page``, about ``order_id`` (None: every card is
        another order's). ``statuses``: the elements reading an order status."""
        # By text only (a card's "Order details" is the link's text): no role query, the
        # costly kind, on every read of a plain detail page.
        details = page.get_by_text(profile.exact("order_details")).filter(visible=True)
        links = details.element_handles()
        if not links:
            return cls(page, None)  # a plain detail page: one round trip, nothing left out
        shown = statuses.element_handles()
        return cls(page, page.evaluate_handle(_CARDS, [links, shown, order_id]))

    def text(self) -> str:
        """The page's visible text, without the other orders' cards."""
        if self.cards is None:
            return self.page.locator("body").inner_text()
        text: str = self.cards.evaluate(_TEXT_WITHOUT)
        return text

    def inner_texts(self, elements: Locator) -> list[str]:
        """The texts of ``elements`` that are not in another order's card."""
        if self.cards is None:
            return elements.all_inner_texts()
        texts: list[str] = elements.evaluate_all(_TEXTS_OUTSIDE, self.cards)
        return texts
