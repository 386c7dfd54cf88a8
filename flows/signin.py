"""Sign in to the portal: reuse the saved login, else the two-step form, never a guess.

A one-time code is answered only from a configured TOTP secret; a captcha or a code
without a secret stops with ``NeedsUserError`` (retrying would only lock the account).
"""

from __future__ import annotations

import logging
import re

import pyotp
from playwright.sync_api import Locator, Page
from pydantic import SecretStr

from assistant.domain.errors import NeedsUserError, PortalChangedError, SignInError
from flows.profile import PortalProfile

log = logging.getLogger(__name__)


class SignInPage:
    """The sign-in steps of the portal, located by their labels."""

    def __init__(self, page: Page, profile: PortalProfile) -> None:
        self.page = page
        self.email = page.get_by_label(profile.exact("email"))
        self.continue_button = page.get_by_role("button", name=profile.exact("continue"))
        self.password = page.get_by_label(profile.exact("password"))
        self.sign_in_button = page.get_by_role("button", name=profile.exact("sign_in"))
        self.code = page.get_by_label(profile.exact("verification_code"))
        self.verify_button = page.get_by_role("button", name=profile.exact("verify"))
        # The slider lives in an iframe; the page around it names the check.
        self.captcha = page.get_by_text(profile.contains("captcha"))
        self.alert = page.get_by_role("alert")

    def is_showing(self) -> bool:
        """True when the page is a sign-in step (any of them)."""
        return bool(
            self.email.or_(self.password).or_(self.code).or_(self.captcha).first.is_visible()
        )


def sign_in(
    page: Page,
    profile: PortalProfile,
    *,
    username: str,
    password: SecretStr,
    totp_secret: SecretStr | None = None,
    done: Locator,
) -> None:
    """Complete the sign-in the page is showing, until ``done`` (the page we wanted) is visible.

    The password goes only into the portal's own password field; it is never logged.
    """
    form = SignInPage(page, profile)
    form.email.or_(form.password).or_(done).first.wait_for()
    if form.email.is_visible():
        log.info("signing in as %s", username)
        form.email.fill(username)
        form.continue_button.click()
        form.password.or_(form.alert).first.wait_for()
        _raise_if_refused(form, page, username, done)
    if form.password.is_visible():
        form.password.fill(password.get_secret_value())
        form.sign_in_button.click()
    outcome = done.or_(form.alert).or_(form.code).or_(form.captcha).or_(form.password).first
    outcome.wait_for()
    _raise_if_refused(form, page, username, done)
    if form.captcha.first.is_visible():
        raise NeedsUserError(
            'the portal asks for a captcha ("Please slide to verify")',
            url=page.url,
            fix="sign in to the portal yourself in a browser to clear the check, then run again",
        )
    if form.code.is_visible():
        if totp_secret is None:
            raise NeedsUserError(
                "the portal asks for an e-mail verification code",
                url=page.url,
                fix="configure the account's totp_secret, or sign in once by hand",
            )
        form.code.fill(pyotp.TOTP(totp_secret.get_secret_value()).now())
        form.verify_button.click()
        done.or_(form.alert).first.wait_for()
        _raise_if_refused(form, page, username, done)
    if not done.first.is_visible():
        raise PortalChangedError("sign-in did not lead to the expected page", url=page.url)


def _raise_if_refused(form: SignInPage, page: Page, username: str, done: Locator) -> None:
    if not done.first.is_visible() and form.alert.first.is_visible():
        message = re.sub(r"\s+", " ", form.alert.first.inner_text()).strip()
        raise SignInError(
            f"the portal refused the sign-in of {username}: {message!r}",
            url=page.url,
            fix="check the username and password (ORDER_ASSISTANT_USERNAME / _PASSWORD)",
        )
