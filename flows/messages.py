"""The seller chat of an order: read the thread, send a message exactly once.

The thread is opened through the order page's own "Contact seller" link unless the
profile knows the URL; a message already in the thread is never sent twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

from playwright.sync_api import Locator, Page
from pydantic import BaseModel, ConfigDict

from assistant.domain.errors import PortalChangedError
from flows.controls import box_with, candidates, controls, field
from flows.order_page import WrongOrderError
from flows.parsing import Formats, digits, lines, parse_datetime, row_value
from flows.profile import PortalProfile
from flows.texts import find_label, match_one

log = logging.getLogger(__name__)


class ChatMessage(BaseModel):
    """One message of the thread."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    author: str
    from_buyer: bool
    text: str
    at: datetime | None


class ThreadPage:
    """The message page, read from its visible text: store name, "Order ID:", the thread.

    The real thread is drawn by script, with no ``role="log"`` and no test ids; each
    message shows its author ("You" or the store) with its time, then its text. The thread
    ends where the composer begins (the message box and its "Send"): a seller's message
    reading "Send" is a message, never the end of the thread nor the control.
    """

    def __init__(self, page: Page, profile: PortalProfile) -> None:
        self.page = page
        self.profile = profile
        self.box = field(page, profile.texts("message_box")).first
        self.no_messages = page.get_by_text(profile.contains("no_messages"))

    @property
    def composer(self) -> Locator:
        """The smallest box holding the message box and a "Send"."""
        return box_with(self.page, self.box, candidates(self.page, self.profile.texts("send")))

    @property
    def send(self) -> Locator:
        """The one "Send" control next to the message box (a ``<div>`` on the real page)."""
        found = controls(self.composer, self.profile.texts("send"))
        if len(found) != 1:
            raise PortalChangedError(
                f"message page: {self.profile.texts('send')} did not appear unambiguously "
                f"({len(found)} found); nothing was sent",
                url=self.page.url,
            )
        return found[0]

    def _lines(self) -> list[str]:
        return lines(self.page.locator("body").inner_text())

    def _anchor(self, rows: list[str]) -> int:
        labels = self.profile.texts("order_id")
        return next((i for i, row in enumerate(rows) if find_label(row, labels)), -1)

    def store(self) -> str | None:
        """The store the chat is with: the line just above "Order ID:"."""
        rows = self._lines()
        anchor = self._anchor(rows)
        return rows[anchor - 1] if anchor > 0 else None

    def wait_drawn(self) -> None:
        """Wait until the thread is drawn: a message (author line) or "no messages"."""
        self.box.wait_for()
        you = "|".join(re.escape(t) for t in self.profile.texts("you"))
        store = self.store()
        waits = self.no_messages.first.or_(
            self.page.get_by_text(re.compile(rf"^\W*(?:{you})\W*(?:·.*)?$", re.IGNORECASE))
        )
        if store:
            # An author line may be the store's name alone: one more than the header shows,
            # and than the composer (a store named "Enviar" on the Spanish site, its "Send").
            shown = 1 + self.composer.get_by_text(store, exact=True).count()
            waits = waits.or_(
                self.page.get_by_text(re.compile(rf"^{re.escape(store)}\s*·")).first
            ).or_(self.page.get_by_text(store, exact=True).nth(shown))
        waits.first.wait_for()

    def verify_order(self, order_id: str) -> None:
        """The thread must be about the order asked for."""
        self.box.wait_for()
        value = row_value(self.page.locator("body").inner_text(), self.profile.texts("order_id"))
        shown = digits(value.split()[0]) if value and value.split() else ""
        if shown != order_id:
            raise WrongOrderError(
                f"the message page is about order {shown or '?'}, not the order asked for",
                order_id=order_id,
                url=self.page.url,
            )

    def messages(self) -> list[ChatMessage]:
        """Every message in the thread, oldest first."""
        self.wait_drawn()
        rows = self._lines()
        anchor = self._anchor(rows)
        store = rows[anchor - 1] if anchor > 0 else ""
        you = self.profile.texts("you")
        authors = [*you, store] if store else list(you)
        formats = self.profile.formats
        composer = self.composer
        end = _composer_start(rows, lines(composer.inner_text()) if composer.count() else [])
        found: list[ChatMessage] = []
        current: dict[str, object] | None = None
        body: list[str] = []

        def flush() -> None:
            if current is not None and body:
                found.append(ChatMessage.model_validate({**current, "text": "\n".join(body)}))

        for row in rows[anchor + 1 : end]:
            if find_label(row, self.profile.texts("no_messages")):
                break
            author = _author(row, authors, formats)
            if author is not None:
                flush()
                name, at = author
                current = {"author": name, "from_buyer": match_one(name, you), "at": at}
                body = []
                continue
            if current is None:
                continue
            when = parse_datetime(row, formats)
            if when is not None and current["at"] is None and not body and len(row) < 40:
                current["at"] = when
                continue
            body.append(row)
        flush()
        return found


def _composer_start(rows: list[str], composer: list[str]) -> int:
    """Where the composer's lines ("Send", a label) begin: their last run in the page
    (the end of the page when the page shows no composer)."""
    size = len(composer)
    for start in range(len(rows) - size, -1, -1) if size else ():
        if rows[start : start + size] == composer:
            return start
    return len(rows)


def _author(row: str, authors: list[str], formats: Formats) -> tuple[str, datetime | None] | None:
    """("You", time) when a line is an author line: the name alone, or "name · time"."""
    for name in authors:
        if match_one(row, [name]):
            return name, None
        for sep in (" · ", " - ", " | "):
            head, _, tail = row.partition(sep)
            if tail and match_one(head, [name]) and parse_datetime(tail, formats):
                return name, parse_datetime(tail, formats)
    return None


def open_thread(page: Page, profile: PortalProfile, order_id: str) -> ThreadPage:
    """The chat the page shows (the caller navigated there), verified to be the order's."""
    thread = ThreadPage(page, profile)
    thread.verify_order(order_id)
    return thread


def send_message(
    page: Page,
    profile: PortalProfile,
    order_id: str,
    text: str,
    *,
    before_send: Callable[[], None] = lambda: None,
) -> bool:
    """Send ``text`` to the seller unless the thread already has it; True if sent now."""
    thread = open_thread(page, profile, order_id)
    wanted = " ".join(text.split())
    if any(m.from_buyer and " ".join(m.text.split()) == wanted for m in thread.messages()):
        log.info("order %s: this message is already in the thread, not sent again", order_id)
        return False
    send = thread.send  # found (unambiguously) before anything is typed
    thread.box.fill(text)
    before_send()
    send.click()
    # Wait for the thread to show it (after a reload or a script update alike).
    page.get_by_text(wanted, exact=True).first.wait_for()
    page.wait_for_load_state()  # a form post reloads the page: read the new one
    copies = [m for m in thread.messages() if m.from_buyer and " ".join(m.text.split()) == wanted]
    if len(copies) != 1:
        raise PortalChangedError(
            f"after sending, the thread shows {len(copies)} copies of the message",
            order_id=order_id,
            url=page.url,
        )
    return True


def read_thread(page: Page, profile: PortalProfile, order_id: str) -> list[ChatMessage]:
    """The order's chat, read only."""
    return open_thread(page, profile, order_id).messages()
