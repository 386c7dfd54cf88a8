"""The remote browser's settings, before any connection: the address is checked, the
token is required, never echoed, and scrubbed like a password."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from assistant.app.logs import RedactSecrets
from assistant.app.settings import Settings
from assistant.app.workers import remote_browser_for
from assistant.domain.errors import ConfigError

TOKEN = "k3y-0f-the-browser-server-1234567890"


def settings(endpoint: str | None, token: str | None = TOKEN) -> Settings:
    return Settings(
        browser_ws_endpoint=endpoint, browser_token=SecretStr(token) if token is not None else None
    )


def test_unset_means_a_local_browser() -> None:
    assert remote_browser_for(settings(None)) is None


def test_the_address_is_host_and_port_and_the_token_stays_out_of_repr() -> None:
    remote = remote_browser_for(settings(" ws://browsers.internal:9400/ "))
    assert remote is not None
    assert (remote.endpoint, remote.address) == (
        "ws://browsers.internal:9400",
        "browsers.internal:9400",
    )
    assert TOKEN not in repr(remote)


@pytest.mark.parametrize(
    ("endpoint", "said"),
    [
        ("http://browsers.internal:9400", "not a browser server address"),
        ("ws://browsers.internal", "not a browser server address"),
        ("ws://browsers.internal:99999", "not a browser server address"),
        (f"ws://browsers.internal:9400/{TOKEN}", "nothing after the port"),
    ],
)
def test_a_bad_address_is_refused_without_echoing_a_token(endpoint: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said) as refused:
        remote_browser_for(settings(endpoint))
    assert refused.value.key == "ORDER_ASSISTANT_BROWSER_WS_ENDPOINT"
    if said == "nothing after the port":
        assert TOKEN not in str(refused.value)


def test_a_remote_browser_needs_its_token() -> None:
    with pytest.raises(ConfigError, match="needs the token") as refused:
        remote_browser_for(settings("ws://browsers.internal:9400", token=None))
    assert refused.value.key == "ORDER_ASSISTANT_BROWSER_TOKEN"


def test_a_window_needs_a_local_browser() -> None:
    with pytest.raises(ConfigError, match="window") as refused:
        remote_browser_for(settings("ws://browsers.internal:9400"), headless=False)
    assert "browsers.internal:9400" in str(refused.value) and TOKEN not in str(refused.value)


def test_the_token_is_redacted_like_a_password() -> None:
    values = settings("ws://browsers.internal:9400").secret_values()
    assert TOKEN in values
    assert RedactSecrets(values).redact(f"connect with Bearer {TOKEN}") == "connect with Bearer ***"


def test_the_journal_and_broker_passwords_are_redacted() -> None:
    values = Settings(
        journal_url=SecretStr("postgresql://oa:pg-Secret-77@db.internal:5432/orders"),
        broker_url=SecretStr("redis://:rd-Secret-88@queue.internal:6379/0"),
    ).secret_values()
    line = RedactSecrets(values).redact(
        "psycopg: password pg-Secret-77 refused; redis auth rd-Secret-88 failed"
    )
    assert "pg-Secret-77" not in line and "rd-Secret-88" not in line
