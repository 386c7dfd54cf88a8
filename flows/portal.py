"""One signed-in buyer account on the portal: the flows behind one small interface.

The runner talks to this class only: it opens a browser context for the account (with its
saved login), signs in when the portal asks, finds orders and runs the read, cancel and
message flows on them. It never decides anything: that is the policy's job.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Locator, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pydantic import SecretStr

from assistant.domain.errors import (
    AntiBotError,
    NeedsUserError,
    OrderNotFoundError,
    PortalChangedError,
    PortalError,
    SessionOverError,
    SignInError,
)
from assistant.domain.models import Order
from flows.browser.handle import browser_boundary
from flows.browser.sessions import SessionFile
from flows.cancel import CancelResult, cancel_order
from flows.challenge import anti_bot_error, challenge_on, challenge_text
from flows.messages import ChatMessage, ThreadPage, read_thread, send_message
from flows.order_page import OrderPage
from flows.orders_page import OrdersPage, OrderSummary
from flows.pacing import Pace, Pacer
from flows.profile import PortalProfile, detect_profile
from flows.retry import retry_safe
from flows.routes import RouteCache, path_of, pattern_of
from flows.session import (
    allowed,
    check_origin,
    evidence_screenshot,
    install_nuisance_handlers,
    new_context,
)
from flows.signin import SignInPage, sign_in
from flows.steps import step

if TYPE_CHECKING:
    from flows.browser.recording import Recording
    from flows.browser.replay import HarReplayer

log = logging.getLogger(__name__)

_LANG = re.compile(r"<html[^>]*\blang=[\"']?([A-Za-z-]+)", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


#: A script in the place of the person signing in (tests): it drives the page ``login``
#: opened, as a person at the window would.
Person = Callable[[Page], None]


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Credentials:
    """Who to sign in as; the secrets stay ``SecretStr`` until typed into the portal."""

    username: str
    password: SecretStr | None
    totp_secret: SecretStr | None = None


@dataclass
class SignInGate:
    """Shared by every context of one account (one per worker): they sign in one at a time.

    So the portal sees one sign-in however many workers find the session expired, the
    saved login is written by one of them, and a refused sign-in is final for all of
    them: a second worker trying again would only get the account locked.
    """

    lock: threading.Lock = field(default_factory=threading.Lock)
    refused: SignInError | NeedsUserError | None = None
    #: Sign-ins done through this gate; a context signed in before the last one may
    #: simply take over the saved login instead of signing in again.
    generation: int = 0


#: The document as ``page.content()`` gives it: the doctype, then the root element.
_OUTER_HTML = """root => (document.doctype
    ? new XMLSerializer().serializeToString(document.doctype) + "\\n" : "") + root.outerHTML"""


class Portal:
    """A browser context signed in as one account, with the flows as methods."""

    def __init__(
        self,
        browser: Browser,
        *,
        base_url: str,
        profile: PortalProfile,
        credentials: Credentials,
        session: SessionFile | None = None,
        timeout_ms: float = 15_000,
        block_assets: bool = True,
        context_options: dict[str, Any] | None = None,
        gate: SignInGate | None = None,
        allowed_origins: Sequence[str] = (),
        routes_file: Path | None = None,
        pacer: Pacer | None = None,
        state: dict[str, Any] | None = None,
        guard: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: Spaces this account's page loads and submits (shared by its workers).
        self.pacer = pacer or Pacer(Pace())
        self.profile = profile
        self.credentials = credentials
        #: The account's saved sign-in (encrypted on disk), read once and written after a
        #: sign-in; None: nothing is saved (the sign-in lives as long as the context).
        self.session = session
        self.sign_ins = 0
        # A refused sign-in is final for this run: trying again per order would only
        # lock the account (the portal locks after a few failures).
        self.gate = gate or SignInGate()
        #: Besides the portal's own site (other ports, a ``login.`` host): extra origins.
        self.allowed_origins = [*profile.allowed_origins, *allowed_origins]
        if routes_file is None and session is not None:
            routes_file = session.path.parent / "routes.json"
        self.routes = RouteCache(routes_file, _origin_of(self.base_url))
        self._profile_checked = not profile.auto_detect
        self._login_generation = self.gate.generation
        self.browser = browser
        self._tracing = False
        #: The HTTP status of the last page opened (a 429 names a rate-limit page).
        self._status: int | None = None
        #: The order number, URL and order ``read_order`` last read, and the order number
        #: and URL of the chat last opened: a page still showing is not loaded again for
        #: the same decision, and the cancel decides on the order as read there.
        self._read: tuple[str, str, Order] | None = None
        self._thread: tuple[str, str] | None = None
        # Outside a flow step, a Playwright failure leaves as BrowserFailure (or
        # BrowserGoneError): the application never sees Playwright's own errors.
        with browser_boundary(browser):
            self.context: BrowserContext = new_context(
                browser,
                base_url=self.base_url,
                # ``state``: a sign-in handed over by another context (a recording's).
                storage_state=state or (session.load() if session is not None else None),
                block_assets=block_assets,
                timeout_ms=timeout_ms,
                guard=guard,
                **(context_options or {}),
            )
            self.page: Page = self.context.new_page()
            install_nuisance_handlers(self.page, profile)

    def begin_case(self, *, trace: bool = False) -> None:
        """Start one case; ``trace``: record its Playwright trace (screenshots, DOM
        snapshots), written by ``end_case`` only if the case fails. Tracing costs about a
        quarter of a case's CPU, so it is asked for only where it can pay off."""
        if trace:
            with browser_boundary(self.browser):
                self.context.tracing.start(
                    screenshots=True, snapshots=True, title="order-assistant"
                )
        self._tracing = trace

    def end_case(self, keep: Path | None = None) -> None:
        """End the case: its trace (if traced) written to ``keep`` if given, else dropped."""
        if self._tracing:
            self._tracing = False
            with browser_boundary(self.browser):
                self.context.tracing.stop(path=keep)

    def html_snapshot(self, path: Path, scrub: Callable[[str], str]) -> str | None:
        """The page's HTML as it is now, passed through ``scrub`` (secrets out); None if
        there is no page to read (evidence is best effort). Read through a locator, whose
        wait is bounded by the time-out: ``page.content()`` waits without one for a page
        still navigating to a request the portal never answers."""
        try:
            html = self.page.locator(":root").evaluate(_OUTER_HTML)
        except PlaywrightError as exc:
            log.warning("no HTML snapshot %s: %s", path.name, str(exc).splitlines()[0])
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(scrub(html), encoding="utf-8")
        return str(path)

    def screenshot(self, path: Path, *, full_page: bool = False) -> str | None:
        """Evidence of the page as it is now, password fields masked; None if none was
        taken (evidence is best effort: it never fails the case it documents)."""
        return evidence_screenshot(self.page, path, full_page=full_page)

    def start_recording(self, recording: Recording) -> None:
        """Trace this context into ``recording`` (its HAR comes from the context options).

        The routes known now go into the recording: a replay must start from them, or it
        would ask for pages (the start page, the list) the recorded run never opened.
        """
        recording.meta["routes"] = self.routes.routes.model_dump()
        with browser_boundary(self.browser):
            recording.start(self.context)

    def stop_recording(self, recording: Recording) -> None:
        """Write the recording's trace; before ``close``, which writes the HAR.

        The profile the run ended with goes into the recording too: the replay cannot
        detect it again (detection asks the portal outside the page, which a recording
        does not answer).
        """
        profile = self.profile.model_copy(update={"auto_detect": False})
        recording.meta["profile"] = profile.model_dump(mode="json")
        with browser_boundary(self.browser):
            recording.stop(self.context)

    def replay(self, replayer: HarReplayer) -> None:
        """Answer every request of this context from a recording, with no server, starting
        from the routes the recorded run knew."""
        self.routes.learn(**replayer.routes)
        with browser_boundary(self.browser):
            replayer.install(self.context)

    def close(self) -> None:
        """Close the context (flushing HAR/video if any were recorded)."""
        with browser_boundary(self.browser):
            self.context.close()

    def __enter__(self) -> Portal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- navigation -----------------------------------------------------------------------
    def open(self, path: str, ready: Locator) -> None:
        """Go to a page of the portal, signing in first if the portal asks for it."""
        signin = SignInPage(self.page, self.profile)
        check = challenge_text(self.page, self.profile)

        def go() -> None:
            response = self.page.goto(path if "://" in path else self.base_url + path)
            self._status = response.status if response is not None else None
            check_origin(self.page, self.base_url, self.allowed_origins)
            ready.or_(signin.email).or_(signin.password).or_(check).first.wait_for()

        self.pacer.wait(f"open {path}")
        retry_safe(go, what=f"open {path}")
        self._stop_if_challenged()
        if signin.is_showing():
            self._sign_in(ready, go, signin)

    def _sign_in(self, ready: Locator, go: Callable[[], None], signin: SignInPage) -> None:
        with self.gate.lock:
            if self.gate.refused is not None:
                # A copy: the same exception object raised in several threads would
                # share (and grow) one traceback and the evidence the runner adds to it.
                raise copy.copy(self.gate.refused)
            if self._login_generation < self.gate.generation and self._take_saved_login():
                # Another worker signed in while this one waited: its login may do.
                retry_safe(go, what="open the page again with the saved login")
                if not signin.is_showing():
                    return
            try:
                self._sign_in_once(ready)
            except (SignInError, NeedsUserError) as exc:
                self.gate.refused = exc
                raise
            self.gate.generation += 1
            self._login_generation = self.gate.generation

    def _take_saved_login(self) -> bool:
        """Load the cookies another context of this account saved; False if there are none."""
        cookies = self.session.cookies() if self.session is not None else []
        if not cookies:
            return False
        self.context.add_cookies(cookies)  # type: ignore[arg-type]  # SetCookieParam dicts
        self._login_generation = self.gate.generation
        return True

    def signed_in_state(self) -> dict[str, Any]:
        """This context's cookies and storage, for another context of the same account."""
        with browser_boundary(self.browser):
            return dict(self.context.storage_state())

    def _sign_in_once(self, ready: Locator) -> None:
        # the password goes to the portal's own site only
        check_origin(self.page, self.base_url, self.allowed_origins)
        if self.credentials.password is None:
            raise SessionOverError(
                f"the portal asks {self.credentials.username} to sign in again (the saved "
                "session is over) and no password is set",
                url=self.page.url,
                fix="sign in with `order-assistant login` (in a browser, any way the portal "
                "offers); or set ORDER_ASSISTANT_PASSWORD (or the account's password_env)",
            )
        sign_in(
            self.page,
            self.profile,
            username=self.credentials.username,
            password=self.credentials.password,
            totp_secret=self.credentials.totp_secret,
            done=ready,
        )
        self.sign_ins += 1
        if self.session is not None:
            self.session.save(dict(self.context.storage_state()))

    def check_profile(self) -> None:
        """With the default profile, switch to the bundled one the portal's pages call for.

        The default (mock) profile's list URL answers 404 on a portal built like the real
        site: then the start page's ``lang`` (or its labels) picks "en" or "es". One
        request, made once, outside the page (nothing is clicked or recorded).
        """
        if self._profile_checked:
            return
        self._profile_checked = True
        path = self.profile.entry.orders_path or "/"
        try:
            probe = self.context.request.get(self.base_url + path)
            if probe.status != 404:
                return
            home = self.context.request.get(self.base_url + "/")
            html = home.text()
        except PlaywrightError as exc:
            log.debug("profile check skipped: %s", str(exc).splitlines()[0])
            return
        lang = _LANG.search(html)
        found = detect_profile(lang.group(1) if lang else "", _TAGS.sub(" ", html))
        if found is not None and found.name != self.profile.name:
            log.info("the portal looks like the %r profile: using it", found.name)
            self.profile = found
            install_nuisance_handlers(self.page, found)

    def open_orders(self) -> OrdersPage:
        """The "My Orders" list: its known URL, else the start page's "My Orders" link."""
        self.check_profile()
        orders = OrdersPage(self.page, self.profile)
        path = self.profile.entry.orders_path or self.routes.routes.orders
        if path:
            self.open(path, orders.ready())
            return orders
        self.open("/", self._start_page_ready())
        link = self._my_orders_link()
        href = link.get_attribute("href") if link is not None else None
        if not href:
            raise PortalChangedError(
                f"no {' / '.join(repr(t) for t in self.profile.texts('my_orders'))} link on "
                "the portal's start page",
                url=self.page.url,
                fix="check the portal URL, or set the profile's entry.orders_path",
            )
        self.open(href, orders.ready())
        self.routes.learn(orders=path_of(self.page.url))
        return orders

    def _start_page_ready(self) -> Locator:
        return self.page.get_by_text(self.profile.exact("my_orders")).first

    def _my_orders_link(self) -> Locator | None:
        wanted = self.profile.exact("my_orders")
        links = self.page.get_by_role("link", name=wanted, include_hidden=True)
        return links.first if links.count() else None

    def goto_order(self, order_id: str) -> OrderPage:
        """The order's detail page: straight there if the URL is known, else via the list."""
        self.check_profile()
        order_page = OrderPage(self.page, self.profile, order_id)
        known = self.profile.entry.order_detail_path
        detail = known or self.routes.routes.order_detail
        if detail:
            self.open(detail.format(order_id=order_id), order_page.loaded())
            if not order_page.not_found.first.is_visible():
                order_page.verify_order(order_id)
                return order_page
        orders = self.open_orders()
        if orders.find(order_id) is None:
            raise OrderNotFoundError(
                f"account {self.credentials.username} has no order {order_id}",
                order_id=order_id,
                url=self.page.url,
                fix='check the order number (16 digits, from "Order ID:" in My Orders)',
            )
        orders.open_details(order_id)
        order_page.wait_drawn()
        check_origin(self.page, self.base_url, self.allowed_origins)
        order_page.verify_order(order_id)
        if not known:
            self.routes.learn(order_detail=pattern_of(self.page.url, order_id))
        return order_page

    def _stop_if_challenged(self, order_id: str | None = None) -> None:
        challenge = challenge_on(self.page, self.profile, self._status)
        if challenge is not None:
            raise anti_bot_error(challenge, self.page, order_id)

    @contextmanager
    def _step(self, name: str, order_id: str | None = None) -> Iterator[None]:
        """A flow step; a failure while the page shows an anti-bot check is that check.

        A submit answered with a "punish" page, a list whose data call was refused: the
        flow only sees a control that never appears, the page says why.
        """
        try:
            with step(name, order_id=order_id, url=self.base_url):
                yield
        except AntiBotError:
            raise
        except PortalError as exc:
            challenge = challenge_on(self.page, self.profile, after_failure=True)
            if challenge is None:
                raise
            raise anti_bot_error(challenge, self.page, order_id) from exc

    # -- flows ----------------------------------------------------------------------------
    def read_order(self, order_id: str, now: datetime) -> Order:
        """Find the order and read it whole, refund progress included."""
        with self._step("read order", order_id):
            order = self.goto_order(order_id).read(order_id, now)
        self._read = (order_id, self.page.url, order)
        return order

    def _on_read_page(self, order_id: str) -> bool:
        """Whether the page is still the order's detail page as ``read_order`` left it:
        then acting on it needs no second load (one page read per decision)."""
        return self._read is not None and self._read[:2] == (order_id, self.page.url)

    def cancel(
        self,
        order_id: str,
        *,
        reasons: Sequence[str],
        report_supplier: bool,
        now: datetime,
        before_submit: Callable[[dict[str, object]], None],
    ) -> CancelResult:
        """Cancel or request cancellation on the order's page (verified, at most once)."""

        def paced_submit(details: dict[str, object]) -> None:
            # Journaled first, then paced: the click follows its slot as closely as it can.
            before_submit(details)
            self.pacer.wait("submit the cancellation")

        with self._step("cancel order", order_id):
            read = self._read[2] if self._read and self._on_read_page(order_id) else None
            if read is None:
                self.goto_order(order_id)
            self._read = None  # the cancel changes the page
            return cancel_order(
                self.page,
                self.profile,
                order_id,
                read=read,
                reasons=reasons,
                report_supplier=report_supplier,
                now=now,
                before_submit=paced_submit,
            )

    def goto_thread(self, order_id: str) -> None:
        """The order's chat: a known URL, else the order page's "Contact seller" link;
        no second load when the page is still that chat (read, then written to)."""
        if self._thread == (order_id, self.page.url):
            return
        self._open_thread(order_id)
        self._thread = (order_id, self.page.url)

    def _open_thread(self, order_id: str) -> None:
        self.check_profile()
        thread = ThreadPage(self.page, self.profile)
        known = self.profile.entry.messages_path
        path = known or self.routes.routes.messages
        if path:
            self.open(path.format(order_id=order_id), thread.box)
            return
        on_detail = self._on_read_page(order_id)
        detail = (
            OrderPage(self.page, self.profile, order_id) if on_detail else self.goto_order(order_id)
        )
        contact = detail.contact_seller
        if contact is None:
            raise PortalChangedError(
                f"no {' / '.join(repr(t) for t in self.profile.texts('contact_seller'))} "
                "control on the order page",
                order_id=order_id,
                url=self.page.url,
            )
        href = contact.evaluate("el => (el.closest('a') || {}).href || null")
        if href:
            self.open(str(href), thread.box)  # same tab, whatever its target
        else:
            contact.click()
            thread.box.wait_for()
        check_origin(self.page, self.base_url, self.allowed_origins)
        if not known:
            self.routes.learn(messages=pattern_of(self.page.url, order_id))

    def send_message(
        self, order_id: str, text: str, *, before_send: Callable[[], None] = lambda: None
    ) -> bool:
        """Send a message to the order's seller unless it is already in the thread."""

        def paced_send() -> None:
            before_send()
            self.pacer.wait("send the message")

        with self._step("message the seller", order_id):
            self.goto_thread(order_id)
            return send_message(self.page, self.profile, order_id, text, before_send=paced_send)

    def read_messages(self, order_id: str) -> list[ChatMessage]:
        """The order's chat with the seller."""
        with self._step("read the seller's messages", order_id):
            self.goto_thread(order_id)
            return read_thread(self.page, self.profile, order_id)

    def list_orders(self, limit: int = 1000) -> list[OrderSummary]:
        """Every order of the account as the list shows it ("View orders" pressed as needed)."""
        with self._step("list orders"):
            orders = self.open_orders()
            orders.load_all(limit)
            return orders.summaries()

    def await_person_sign_in(self, *, timeout_ms: float, person: Person | None = None) -> None:
        """Open the portal's sign-in and wait while a person signs in, any way the site
        offers (password, SMS code, Google, a captcha): nothing is typed or read here.

        Signed in is when the "My Orders" list shows (the portal goes there after the
        sign-in, or the person opens it). Only the portal's own cookies are saved.
        ``person``: a script in the person's place (tests), run on the opened page.
        """
        self.check_profile()
        orders = OrdersPage(self.page, self.profile)
        path = self.profile.entry.orders_path or self.routes.routes.orders or "/"
        with self._step("open the sign-in page"):
            self.page.goto(self.base_url + path)
        if person is not None:
            person(self.page)
        try:
            orders.ready().wait_for(timeout=timeout_ms)
        except PlaywrightTimeoutError:
            raise NeedsUserError(
                f"nobody signed in to the portal within {timeout_ms / 60_000:g} min: nothing "
                "was saved",
                fix="run `order-assistant login` again and sign in in the window it opens "
                "(then open 'My Orders' if the portal does not show it by itself)",
            ) from None
        check_origin(self.page, self.base_url, self.allowed_origins)
        if self.session is not None:
            self.session.save(self._own_state())
        self.sign_ins += 1

    def _own_state(self) -> dict[str, Any]:
        """The storage state restricted to the portal's site (a person signing in with
        Google leaves Google's cookies in the context too: they are not ours to keep)."""
        state = self.signed_in_state()
        mine = [
            c for c in state.get("cookies", [])
            if allowed(f"https://{str(c.get('domain', '')).lstrip('.')}/", self.base_url)
        ]  # fmt: skip
        origins = [
            o for o in state.get("origins", [])
            if allowed(str(o.get("origin", "")), self.base_url, self.allowed_origins)
        ]  # fmt: skip
        return {"cookies": mine, "origins": origins}

    def ensure_signed_in(self) -> None:
        """Open the orders list, signing in if needed (saves the login state)."""
        with self._step("sign in"):
            self.open_orders()
