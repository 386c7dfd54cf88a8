"""``order-assistant browser-server``: a Chromium that workers on other hosts connect to.

It runs where the browsers should (a bigger host, one near the portal) and serves them to
workers that set ``browser_ws_endpoint`` and ``browser_token``. Whoever holds the token
drives a browser signed in to real accounts, so it is never logged: it comes from the
settings (``ORDER_ASSISTANT_BROWSER_TOKEN``), or it is made here and printed once, on
stdout, for the operator to copy.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

import typer

from assistant.cli.app import app
from assistant.cli.options import load_settings_for, options
from assistant.domain.errors import ConfigError

log = logging.getLogger(__name__)

#: Shorter tokens are refused: whoever guesses one drives the browser.
MIN_TOKEN_LENGTH = 16


@app.command("browser-server")
def browser_server(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Interface to listen on: 127.0.0.1 (this host only), a LAN address, 0.0.0.0",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="TCP port (0: a free one, printed)")
    ] = 0,
) -> None:
    """Serve a Chromium to workers on other hosts until SIGTERM or Ctrl-C.

    Workers connect with ORDER_ASSISTANT_BROWSER_WS_ENDPOINT=ws://HOST:PORT and
    ORDER_ASSISTANT_BROWSER_TOKEN. The token is ORDER_ASSISTANT_BROWSER_TOKEN here too, or
    a new one printed once at start. Traffic is not encrypted: keep it on a private
    network or behind a TLS tunnel.
    """
    from pydantic import SecretStr

    from assistant.app.logs import configure_logging
    from flows.browser.server import serve_remote

    opts = options(ctx)
    settings = load_settings_for(opts, ask_password=False)
    if settings.browser_ws_endpoint is not None:
        raise ConfigError(
            "a browser server launches its own Chromium; it cannot use a remote one",
            key="ORDER_ASSISTANT_BROWSER_WS_ENDPOINT",
            fix="unset it where the browser server runs",
        )
    generated = settings.browser_token is None
    if settings.browser_token is None:
        settings = settings.model_copy(
            update={"browser_token": SecretStr(secrets.token_urlsafe(32))}
        )
        configure_logging(opts.verbose, opts.log_format, settings.secret_values())
    assert settings.browser_token is not None
    token = settings.browser_token.get_secret_value()
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"the token is too short ({len(token)} characters, at least {MIN_TOKEN_LENGTH})",
            key="ORDER_ASSISTANT_BROWSER_TOKEN",
            fix="use a long random one, e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`, or unset it to have one made",
        )

    def ready(address: str) -> None:
        log.info("browser server ready on %s", address)
        print(f"Browser server listening on ws://{address}", flush=True)
        if generated:
            print(
                f"Token (shown this once only, never stored or logged): {token}\n"
                "Give it to the workers as ORDER_ASSISTANT_BROWSER_TOKEN.",
                flush=True,
            )

    if host not in ("127.0.0.1", "::1", "localhost"):
        log.warning(
            "listening on %s: the connection is not encrypted, keep it on a private network "
            "or behind a TLS tunnel",
            host,
        )
    serve_remote(
        settings.browser,
        host=host,
        port=port,
        token=token,
        ready=ready,
        headless=settings.headless,
        extra_args=settings.browser_args,
    )
    log.info("browser server stopped")
