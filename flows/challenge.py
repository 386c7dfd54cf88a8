"""The portal's anti-bot checks, recognised on any page: captcha, "punish" page, rate limit.

What matters is to stop at once: a flow that keeps clicking through a check is what gets
an account locked. ``AntiBotError`` carries what was shown; the application puts the
account in a cool-down (``assistant.app.safety``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from assistant.domain.errors import AntiBotError
from flows.profile import PortalProfile

#: The real site's punish pages live under this path (``/_____tmd_____/punish?...``).
PUNISH_PATH = "/_____tmd_____/"


def challenge_text(page: Page, profile: PortalProfile) -> Locator:
    """The text of a captcha or security check ("Please slide to verify", "Security check")."""
    return page.get_by_text(profile.contains("captcha")).filter(visible=True)


def challenge_on(page: Page, profile: PortalProfile, status: int | None = None) -> str | None:
    """What check the page shows ("punish page", "rate-limit page", "captcha"), or None;
    ``status``: the HTTP status the page came with, if known. Never raises."""
    if PUNISH_PATH in urlsplit(page.url).path:
        return "punish page"
    try:
        if challenge_text(page, profile).first.is_visible():
            return "rate-limit page" if status == 429 else "captcha"
    except PlaywrightError:  # the page is gone or navigating: nothing to recognise
        return None
    return None


def anti_bot_error(challenge: str, page: Page, order_id: str | None = None) -> AntiBotError:
    """The error for a check the page shows; its URL without the query (a token is in it)."""
    parts = urlsplit(page.url)
    return AntiBotError(
        f"the portal answered with an anti-bot check ({challenge}): stopped before doing "
        "anything more on this account",
        challenge=challenge,
        order_id=order_id,
        url=f"{parts.scheme}://{parts.netloc}{parts.path}",
        fix="nothing to do now: the assistant leaves the account alone for a cool-down "
        "(`order-assistant status` shows until when); insisting gets accounts locked",
    )
