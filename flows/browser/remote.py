"""A browser on another host: the client side of ``order-assistant browser-server``.

With ``browser_ws_endpoint`` set, no Chromium is launched here: every browser a command
needs is a Playwright ``connect`` to that server, with the token in an ``Authorization``
header (never in the URL, so never in Playwright's messages). Before connecting, one plain
request to the same address says, with our own error types and no parsing of Playwright's
texts, whether the server is there, whether it takes the token, and whether its Playwright
speaks the same protocol (client and server must share a major.minor version).

Messages name the server by ``host:port`` only: never the token.
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from assistant.domain.errors import ConfigError, PortalError, first_line
from flows.browser.guard import SCHEME, SERVICE
from flows.browser.launch import LaunchCheck

ENDPOINT_KEY = "ORDER_ASSISTANT_BROWSER_WS_ENDPOINT"
TOKEN_KEY = "ORDER_ASSISTANT_BROWSER_TOKEN"  # noqa: S105 (a variable name)
#: How long the check before a connect may take (a server across a network).
CHECK_TIMEOUT_S = 10.0
#: How long ``connect`` may take once the check passed.
CONNECT_TIMEOUT_MS = 30_000

_UNREACHABLE_FIX = (
    "start `order-assistant browser-server` on that host, check the address and the "
    f"firewall, or unset {ENDPOINT_KEY} to launch a local Chromium"
)


@dataclass(frozen=True)
class RemoteBrowser:
    """Where the browser server is, and the token it wants (kept out of ``repr``)."""

    endpoint: str
    token: str = field(repr=False)

    @classmethod
    def of(cls, endpoint: str, token: str | None) -> RemoteBrowser:
        """Checked settings: ``ws://host:port`` (or ``wss://`` behind TLS) and a token."""
        parts = urlsplit(endpoint.strip())
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.scheme not in ("ws", "wss") or not parts.hostname or port is None:
            raise ConfigError(
                f"{endpoint!r} is not a browser server address",
                key=ENDPOINT_KEY,
                fix="give ws://HOST:PORT, as `order-assistant browser-server` printed it",
            )
        if parts.path.strip("/") or parts.query or parts.username or parts.password:
            # Most likely a Playwright endpoint with its token in the path: not shown.
            raise ConfigError(
                "the address must be ws://HOST:PORT only (nothing after the port)",
                key=ENDPOINT_KEY,
                fix=f"put the token in {TOKEN_KEY}, not in the address",
            )
        if not token:
            raise ConfigError(
                "a remote browser needs the token its browser server requires",
                key=TOKEN_KEY,
                fix="set it to the token `order-assistant browser-server` printed or was given",
            )
        return cls(f"{parts.scheme}://{parts.hostname}:{port}", token)

    @property
    def address(self) -> str:
        """``host:port``: what messages, logs and ``doctor`` say about the server."""
        return self.endpoint.split("://", 1)[1]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"{SCHEME} {self.token}"}

    def check(self, timeout: float = CHECK_TIMEOUT_S) -> str:
        """Ask the server before connecting; its Playwright version, or a clear error:
        unreachable or not a browser server (``PortalError``), the token refused or the
        versions apart (``ConfigError``)."""
        parts = urlsplit(self.endpoint)
        host, port = parts.hostname or "", parts.port or 0
        connection = (
            http.client.HTTPSConnection(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
            if parts.scheme == "wss"
            else http.client.HTTPConnection(host, port, timeout=timeout)
        )
        try:
            connection.request("GET", "/", headers=self.headers)
            response = connection.getresponse()
            status, body = response.status, response.read(4096)
        except (OSError, http.client.HTTPException) as exc:
            raise PortalError(
                f"the remote browser at {self.address} is unreachable: {_reason(exc)}",
                fix=_UNREACHABLE_FIX,
            ) from None
        finally:
            connection.close()
        if status == 401:
            raise ConfigError(
                f"the browser server at {self.address} refused the token",
                key=TOKEN_KEY,
                fix="set it to the token that browser server printed or was given",
            )
        try:
            info = json.loads(body) if status == 200 else {}
        except ValueError:
            info = {}
        if not isinstance(info, dict) or info.get("service") != SERVICE:
            raise PortalError(
                f"{self.address} is not an order-assistant browser server (HTTP {status})",
                fix=_UNREACHABLE_FIX,
            )
        theirs, ours = str(info.get("playwright", "?")), version("playwright")
        if _minor(theirs) != _minor(ours):
            raise ConfigError(
                f"the browser server at {self.address} runs Playwright {theirs}, this host "
                f"{ours}: they must share the major.minor version",
                key=ENDPOINT_KEY,
                fix=f"install playwright=={theirs} here, or the same version on both hosts",
            )
        return theirs

    def connect(self, playwright: Playwright, *, slow_mo: float = 0) -> Browser:
        """A ``Browser`` in the remote Chromium, for this thread's Playwright."""
        try:
            return playwright.chromium.connect(
                self.endpoint,
                headers=self.headers,
                slow_mo=slow_mo,
                timeout=CONNECT_TIMEOUT_MS,
            )
        except PlaywrightError as exc:
            # The token travels in a header, which Playwright does not quote; replaced
            # all the same, should that ever change.
            reason = first_line(exc).replace(self.token, "***")
            raise PortalError(
                f"could not connect to the remote browser at {self.address}: {reason}",
                fix=_UNREACHABLE_FIX,
            ) from None


@contextmanager
def remote_browser(
    remote: RemoteBrowser, *, slow_mo: float = 0, checked: bool = False
) -> Iterator[tuple[Playwright, Browser]]:
    """This thread's Playwright connected to the remote browser; both closed on exit (the
    contexts opened through it close with the connection, Chromium stays up).

    ``checked``: ``remote.check()`` already passed (several workers, one check).
    """
    if not checked:
        remote.check()
    with sync_playwright() as playwright:
        browser = remote.connect(playwright, slow_mo=slow_mo)
        try:
            yield playwright, browser
        finally:
            browser.close()


def try_remote(remote: RemoteBrowser) -> LaunchCheck:
    """``doctor``'s check of a remote browser: asked, connected to, a page rendered."""
    try:
        with remote_browser(remote) as (_, browser):
            page = browser.new_page()
            page.set_content("<title>doctor</title><p>ok</p>")
            found = browser.version
    except (ConfigError, PortalError) as exc:
        return LaunchCheck(False, f"failed: {exc}")
    except PlaywrightError as exc:
        return LaunchCheck(False, f"failed: {first_line(exc).replace(remote.token, '***')}")
    return LaunchCheck(True, f"ok, Chromium {found} at {remote.address}")


def _minor(text: str) -> str:
    return ".".join(text.split(".")[:2])


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return first_line(exc)
