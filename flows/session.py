"""Browser contexts for the flows: saved logins, nuisance handlers, blocked assets, origin guard.

Everything that should happen once per context or page, not sprinkled through the
flows: pop-ups closed by ``add_locator_handler``, images and fonts not downloaded when
nobody records, navigation outside the portal's origin stopped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from assistant.domain.errors import PortalError, first_line
from flows.browser.launch import launch_options, resolve_browser
from flows.profile import PortalProfile
from flows.texts import pattern

log = logging.getLogger(__name__)

_ASSETS = re.compile(r"\.(?:png|jpe?g|gif|webp|avif|svg|ico|woff2?|ttf|otf|mp4|webm)(?:\?|$)")


@contextmanager
def launched_browser(
    browser_setting: str | None = None,
    *,
    headless: bool = True,
    slow_mo: float = 0,
    extra_args: Sequence[str] = (),
) -> Iterator[tuple[Playwright, Browser]]:
    """Start Playwright and the resolved Chromium once per run; both closed on exit."""
    choice = resolve_browser(browser_setting)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            **launch_options(
                choice, headless=headless, slow_mo=slow_mo, extra_args=tuple(extra_args)
            ),
            # Ctrl-C is the assistant's to handle (finish the order under way, then stop);
            # by default the driver would close the browser under it.
            handle_sigint=False,
        )
        try:
            yield playwright, browser
        finally:
            browser.close()


def new_context(
    browser: Browser,
    *,
    base_url: str,
    storage_state: dict[str, Any] | None = None,
    block_assets: bool = True,
    timeout_ms: float = 15_000,
    allowed_origins: Sequence[str] = (),
    guard: bool = True,
    **extra: Any,
) -> BrowserContext:
    """A context for one account: its saved login (if any), the time-outs, and asset blocking."""
    context = browser.new_context(
        base_url=base_url,
        storage_state=storage_state,  # type: ignore[arg-type]  # a StorageState dict
        **extra,
    )
    context.set_default_timeout(timeout_ms)
    context.set_default_navigation_timeout(timeout_ms * 2)
    if block_assets:
        context.route(_ASSETS, lambda route: route.abort())
    if guard:  # off only while a person signs in (``login``: Google, Apple... on their sites)
        guard_origin(context, base_url, allowed_origins)
    return context


def site_of(url: str) -> str:
    """The "site" of a URL as browsers define same-site: the registrable domain.

    ``login.shop.example`` and ``www.shop.example`` are one site; another port of the same
    host too. An IP address or a one-label host (``localhost``) is its own site. Without
    the public suffix list, two-letter country domains under a generic second level
    (``co.uk``, ``com.au``) keep three labels.
    """
    host = (urlsplit(url).hostname or "").rstrip(".").casefold()
    labels = host.split(".")
    if not host or host.replace(".", "").isdigit() or ":" in host or len(labels) < 2:
        return host
    keep = 3 if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL and len(labels) > 2 else 2
    return ".".join(labels[-keep:])


_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go"})


def allowed(url: str, base_url: str, extra: Sequence[str] = ()) -> bool:
    """True for the portal's own site (any port, any sub-domain) and the extra origins."""
    if urlsplit(url).scheme not in ("http", "https"):
        return False
    return site_of(url) == site_of(base_url) or _origin(url) in {_origin(o) for o in extra}


def guard_origin(context: BrowserContext, base_url: str, extra: Sequence[str] = ()) -> None:
    """Refuse to load a page outside the portal's site (its resources, e.g. a CDN, load).

    The pattern matches only URLs of *other* sites and is evaluated in the browser driver,
    so the portal's own requests never make a round trip through Python.
    """
    site = site_of(base_url)
    host = re.escape(site)
    if "." in site and not site.replace(".", "").isdigit():
        host = rf"(?:[^/?#@]*\.)?{host}"
    mine = [rf"https?://{host}(?::\d+)?"] + [re.escape(_origin(o)) for o in extra]
    elsewhere = re.compile(rf"^(?!(?:{'|'.join(mine)})(?:[/?#]|$))https?://", re.IGNORECASE)

    def block(route: Route) -> None:
        if route.request.is_navigation_request():
            log.error("blocked navigation outside the portal: %s", _origin(route.request.url))
            route.abort("blockedbyclient")
        else:
            route.fallback()

    context.route(elsewhere, block)


def check_origin(page: Page, base_url: str, extra: Sequence[str] = ()) -> None:
    """Stop when the page is no longer on the portal's site (it redirected elsewhere).

    ``guard_origin`` cannot do this alone: Playwright does not route the requests of a
    redirect chain, so a 303 to another site is followed by the browser. This check
    runs after every navigation, before anything is read, typed (the password!) or
    clicked there, and it is not retried. The portal's own site (a ``login.`` host, another
    port) and the configured ``allowed_origins`` pass.
    """
    url = page.url
    if url.startswith(("about:", "chrome-error:")) or allowed(url, base_url, extra):
        return
    log.error("the portal redirected outside its site: %s", _origin(url))
    raise PortalError(
        f"the portal redirected to another site ({_origin(url)}): stopped, nothing was "
        "typed or clicked there",
        url=_origin(url),
        fix="check the portal URL; if the portal signs in on another site, add its origin "
        "to allowed_origins (configuration or portal profile)",
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def install_nuisance_handlers(page: Page, profile: PortalProfile) -> None:
    """Close the banners, pop-ups and chat bubbles of the profile whenever they cover the page.

    A nuisance with a ``role`` is found by its accessible name; one without, by a text it
    shows: the handler watches the closing control (text, image alt or title) inside the
    smallest box showing that text, never a "Close" elsewhere (the cancel modal has one).
    """
    for nuisance in profile.nuisances:
        if nuisance.role is not None:
            overlay = page.get_by_role(nuisance.role, name=nuisance.name)
            close = overlay.get_by_role("button", name=nuisance.close, exact=True)
        else:
            closing = pattern([nuisance.close])
            closer = (
                page.get_by_role("button", name=closing)
                .or_(page.get_by_text(closing))
                .or_(page.get_by_alt_text(closing))
                .or_(page.get_by_title(closing))
            )
            says = page.get_by_text(pattern([nuisance.name], exact=False))
            close = page.locator("body *").filter(has=says).filter(has=closer).last
            close = (
                close.get_by_role("button", name=closing)
                .or_(close.get_by_alt_text(closing))
                .or_(close.get_by_title(closing))
                .or_(close.get_by_text(closing))
                .first
            )

        def dismiss(_: Any = None, close: Any = close, name: str = nuisance.name) -> None:
            log.debug("closing %s", name)
            # Not .click(): a pop-up's backdrop or the loading overlay may cover this button,
            # and handlers do not nest, so the pop-up's own handler could never run to
            # uncover it (the click then waited until its time-out).
            close.dispatch_event("click")

        # Triggered by the close button, not the overlay: a minimised chat stays on the
        # page (as "Open chat"), and a handler watching it would fire on every action.
        page.add_locator_handler(close, dismiss, no_wait_after=True)


def evidence_screenshot(page: Page, path: Path, *, full_page: bool = False) -> str | None:
    """A screenshot with password fields masked; None (logged) if it cannot be taken.

    Evidence is best effort: a failed screenshot must never fail the run it documents.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=path, full_page=full_page, mask=[page.locator("input[type=password]")])
    except PlaywrightError as exc:
        log.warning("no screenshot %s: %s", path.name, first_line(exc))
        return None
    return str(path)
