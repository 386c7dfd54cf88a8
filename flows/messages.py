"""The seller chat of an order: read the thread, send a message exactly once.

The thread is opened through the order page's own "Contact seller" link unless the
profile knows the URL; a message already in the thread is never sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from playwright.sync_api import Page
from pydantic import BaseModel, ConfigDict

from assistant.domain.errors import PortalChangedError
from flows.order_page import WrongOrderError
from flows.parsing import digits, parse_datetime, row_value
from flows.profile import PortalProfile

log = logging.getLogger(__name__)


class ChatMessage(BaseModel):
    """One message of the thread."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    author: str
    from_buyer: bool
    text: str
    at: datetime | None


class ThreadPage:
    """Locators of the message page."""

    def __init__(self, page: Page, profile: PortalProfile) -> None:
        self.page = page
        self.profile = profile
        self.thread = page.get_by_role("log", name=profile.exact("thread"))
        self.box = page.get_by_label(profile.exact("message_box"))
        self.send = page.get_by_role("button", name=profile.exact("send"))

    def verify_order(self, order_id: str) -> None:
        """The thread must be about the order asked for."""
        self.box.wait_for()
        page_text = self.page.locator("body").inner_text()
        shown = digits(row_value(page_text, self.profile.texts("order_id")) or "")
        if shown != order_id:
            raise WrongOrderError(
                f"the message page is about order {shown or '?'}, not the order asked for",
                order_id=order_id,
                url=self.page.url,
            )

    def messages(self) -> list[ChatMessage]:
        """Every message in the thread, oldest first."""
        author_id = self.profile.test_ids.get("message_author", "message-author")
        text_id = self.profile.test_ids.get("message_text", "message-text")
        you = set(self.profile.texts("you"))
        found = []
        for item in self.thread.get_by_role("article").all():
            author = item.get_by_test_id(author_id).inner_text().strip()
            found.append(
                ChatMessage(
                    author=author,
                    from_buyer=author in you,
                    text=item.get_by_test_id(text_id).inner_text().strip(),
                    at=parse_datetime(item.inner_text()),
                )
            )
        return found


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
    thread.box.fill(text)
    before_send()
    thread.send.click()
    # Wait for the thread to show it (after a reload or a script update alike).
    thread.thread.get_by_role("article").filter(has_text=wanted).first.wait_for()
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
