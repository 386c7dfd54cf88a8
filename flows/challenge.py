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


#: How long a look after a failure may take (ms). A request the portal never answered
#: leaves the page navigating, and ``is_visible`` then waits for the navigation without a
#: time-out: a look after a failure is a bounded wait instead.
AFTER_FAILURE_LOOK_MS = 1_000


def challenge_on(
    page: Page, profile: PortalProfile, status: int | None = None, *, after_failure: bool = False
) -> str | None:
    """What check the page shows ("punish page", "rate-limit page", "captcha"), or None;
    ``status``: the HTTP status the page came with, if known. Never raises, never hangs:
    ``after_failure`` (the page may still be waiting for an answer) looks for at most
    ``AFTER_FAILURE_LOOK_MS``."""
    if PUNISH_PATH in urlsplit(page.url).path:
        return "punish page"
    text = challenge_text(page, profile).first
    try:
        if after_failure:
            text.wait_for(state="visible", timeout=AFTER_FAILURE_LOOK_MS)
        elif not text.is_visible():
            return None
    except PlaywrightError:  # the page is gone, navigating, or shows no check
        return None
    return "rate-limit page" if status == 429 else "captcha"


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
