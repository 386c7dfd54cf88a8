"""Sign in to the portal: reuse the saved login, else the sign-in steps, never a guess.

The fields are found by placeholder (a ``<label>`` where there is one), the buttons by
their text: the real sign-in is ``<input placeholder="Email or phone number">`` and a
``<button type="button"><span>Sign in</span></button>`` that navigates by script, on a
host of its own. A one-time code (one field, or six one-digit boxes) is answered only
from a configured TOTP secret; a captcha or a code without a secret stops with
``NeedsUserError`` (retrying would only lock the account).
"""

from __future__ import annotations

import logging

import pyotp
from playwright.sync_api import Locator, Page
from pydantic import SecretStr

from assistant.domain.errors import AntiBotError, NeedsUserError, PortalChangedError, SignInError
from flows.controls import control, field, shown
from flows.profile import PortalProfile

log = logging.getLogger(__name__)


class SignInPage:
    """The sign-in steps of the portal, located by placeholder, label and text."""

    def __init__(self, page: Page, profile: PortalProfile) -> None:
        self.page = page
        self.profile = profile
        self.email = field(page, profile.texts("email")).first
        self.password = field(page, profile.texts("password")).first
        # One field labelled "Email verification code", or boxes under "Verification".
        self.code = field(page, profile.texts("verification_code")).first
        self.code_page = shown(page, profile.texts("verify"))
        # The slider lives in an iframe; the page around it names the check.
        self.captcha = page.get_by_text(profile.contains("captcha"))
        self.refused = page.get_by_role("alert").or_(
            page.get_by_text(profile.contains("sign_in_refused"))
        )

    def visible_any(self) -> Locator:
        """Any sign-in step (for waiting until a page shows what it is)."""
        return self.email.or_(self.password).or_(self.code).or_(self.captcha.first)

    def is_showing(self) -> bool:
        """True when the page is a sign-in step (any of them)."""
        return (
            bool(self.email.or_(self.password).or_(self.code).or_(self.captcha).first.is_visible())
            or self._code_boxes() is not None
        )

    def click(self, key: str) -> None:
        """Click the step's button ("Continue", "Sign in", "Verify") found by its text."""
        texts = self.profile.texts(key)  # type: ignore[arg-type]
        button = control(self.page, texts)
        if button is None:
            raise PortalChangedError(
                f"sign-in: no control reading {' / '.join(repr(t) for t in texts)}",
                url=self.page.url,
                fix="the sign-in page changed: check the profile's labels",
            )
        button.click()

    def _code_boxes(self) -> list[Locator] | None:
        """Six (or so) one-character inputs next to a "Verify" button, or None."""
        if not self.code_page.first.is_visible():
            return None
        boxes = [
            box
            for box in self.page.locator("input:visible").all()
            if (box.get_attribute("maxlength") or "") == "1"
        ]
        return boxes if len(boxes) >= 4 else None


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
    if form.email.is_visible() and not form.password.is_visible():
        log.info("signing in as %s", username)
        form.email.fill(username)
        form.click("continue")
        form.password.or_(form.refused.first).first.wait_for()
        _raise_if_refused(form, page, username, done)
    if form.password.is_visible():
        if form.email.is_visible() and not form.email.input_value():
            form.email.fill(username)  # one page with both fields
        form.password.fill(password.get_secret_value())
        form.click("sign_in")
    done.or_(form.refused).or_(form.code).or_(form.code_page).or_(form.captcha).first.wait_for()
    _raise_if_refused(form, page, username, done)
    if form.captcha.first.is_visible():
        raise AntiBotError(
            'the portal asks for a captcha ("Please slide to verify") at sign-in',
            challenge="captcha",
            url=page.url,
            fix="the assistant leaves the account alone for a cool-down (`order-assistant "
            "status` shows until when); to go on sooner, sign in with `order-assistant login`",
        )
    boxes = None if done.first.is_visible() else form._code_boxes()
    if form.code.is_visible() or boxes:
        if totp_secret is None:
            raise NeedsUserError(
                "the portal asks for an e-mail verification code",
                url=page.url,
                fix="configure the account's totp_secret, or sign in once by hand",
            )
        code = pyotp.TOTP(totp_secret.get_secret_value()).now()
        if boxes and not form.code.is_visible():
            for box, digit in zip(boxes, code, strict=False):
                box.fill(digit)
        else:
            form.code.fill(code)
        form.click("verify")
        done.or_(form.refused).first.wait_for()
        _raise_if_refused(form, page, username, done)
    if not done.first.is_visible():
        raise PortalChangedError("sign-in did not lead to the expected page", url=page.url)


def _raise_if_refused(form: SignInPage, page: Page, username: str, done: Locator) -> None:
    if done.first.is_visible():
        return
    for message in form.refused.all():
        if message.is_visible() and message.inner_text().strip():
            said = " ".join(message.inner_text().split())
            raise SignInError(
                f"the portal refused the sign-in of {username}: {said!r}",
                url=page.url,
                fix="check the username and password (ORDER_ASSISTANT_USERNAME / _PASSWORD)",
            )
