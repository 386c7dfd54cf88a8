"""Configuration from a TOML file and ``ORDER_ASSISTANT_*`` environment variables.

pydantic-settings does the reading and validation; this module only declares the fields,
their defaults and where the file lives. Secrets are ``SecretStr`` so they print as stars.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from assistant.domain.errors import ConfigError, first_line

ENV_PREFIX = "ORDER_ASSISTANT_"

#: The file ``--config`` named, for the one ``Settings`` being built by ``load_settings``
#: (pydantic-settings asks for its sources on the class, so the path cannot be an argument;
#: a context variable keeps it out of the process environment and other threads).
_CONFIG_FILE: ContextVar[Path | None] = ContextVar("config_file", default=None)


def default_config_path() -> Path:
    """Where the TOML file lives unless ``--config`` or ORDER_ASSISTANT_CONFIG says otherwise."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "order-assistant" / "config.toml"


def config_path() -> Path:
    """The TOML file read when ``--config`` is not given: ORDER_ASSISTANT_CONFIG or the default."""
    named = os.environ.get(f"{ENV_PREFIX}CONFIG")
    return Path(named) if named else default_config_path()


def default_data_dir() -> Path:
    """Where the journal, saved logins and artifacts go by default."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "order-assistant"


class Account(BaseModel):
    """One buyer account on the portal. The password never leaves this object in clear."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1)
    password: SecretStr | None = None
    password_env: str | None = None
    totp_secret: SecretStr | None = None

    def resolved_password(self) -> SecretStr | None:
        """The password: config, else the named environment variable, else the keyring."""
        if self.password is not None:
            return self.password
        if self.password_env and os.environ.get(self.password_env):
            return SecretStr(os.environ[self.password_env])
        return _from_keyring(self.username)


class Pacing(BaseModel):
    """How fast one account may act on the portal (``[pacing]``; all 0 turns pacing off).

    The defaults are a careful person's pace: a page or a submit every 3 to 5 seconds, and
    no more than 240 in an hour (about 60 orders). A batch of 200 orders then takes hours
    instead of minutes, which is the point: marketplaces flag accounts that act faster
    than people do, and the hourly cap also holds across scheduled runs (the journal keeps
    the last hour's actions). With ``broker_url`` set, the workers of every machine share
    these limits through Redis (docs/scale-out.md, "Politeness across workers").
    """

    model_config = ConfigDict(extra="forbid")

    min_seconds: float = Field(default=3.0, ge=0, le=600)
    jitter_seconds: float = Field(default=2.0, ge=0, le=600)
    per_hour: int = Field(default=240, ge=0, le=100_000)
    #: The distributed mode only (``broker_url``): actions a minute on one portal, all
    #: accounts and workers together, spread evenly (one every 60/N seconds, so no minute
    #: ever holds more). The portal sees every account of a deployment from the same few
    #: machines: many accounts each at a person's pace still add up to a flood from one
    #: place. 60 (one a second) is about four accounts at full pace at once, about 86,000
    #: actions a day: some 4,000 orders a day with their follow-up checks (docs/scale-out.md,
    #: "Capacity plan"); raise it for more. 0: no portal limit. One process (the embedded
    #: default) paces its accounts alone, as before.
    portal_per_minute: int = Field(default=60, ge=0, le=6_000)


class Cooldown(BaseModel):
    """How long an account is left alone after an anti-bot check (``[cooldown]``).

    30 minutes the first time; twice as long each time the check comes back within a day
    of the last cool-down's end, up to 8 hours. Waiting is what lifts such checks; coming
    back too soon is what turns them into a locked account.
    """

    model_config = ConfigDict(extra="forbid")

    first_minutes: float = Field(default=30, gt=0)
    longest_hours: float = Field(default=8, gt=0)
    repeat_within_hours: float = Field(default=24, ge=0)


class Settings(BaseSettings):
    """Everything the assistant can be told; env vars override the TOML file."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
    )

    browser: str | None = Field(default=None, description="Chromium/Chrome executable to use")
    #: Extra Chromium flags for every launch (a proxy, say); added after the safe defaults.
    browser_args: list[str] = Field(default_factory=list)
    headless: bool = True
    slow_mo: float = Field(default=0, ge=0)
    portal_url: str = "http://127.0.0.1:8000"
    username: str | None = None
    password: SecretStr | None = None
    totp_secret: SecretStr | None = None
    accounts: list[Account] = Field(default_factory=list)
    data_dir: Path = Field(default_factory=default_data_dir)
    preferred_reasons: list[str] = Field(default_factory=list)
    #: Apprise URLs (e-mail, ntfy, Telegram, Slack, json://...) told when a case needs the
    #: user or a run fails for a reason the user must fix. Secrets: they often hold tokens.
    notify: list[SecretStr] = Field(default_factory=list)
    #: Also tell them when a case finishes (cancelled, refunded, nothing to do).
    notify_done: bool = False
    concurrency: int = Field(default=2, ge=1, le=16)
    #: Another context only pays for its start-up (a Node driver, the browser server)
    #: over this many orders: measured on 2 cores, fewer are done sooner in one context.
    min_orders_per_context: int = Field(default=6, ge=1, le=10_000)
    max_minutes: float = Field(default=20, gt=0)
    pacing: Pacing = Field(default_factory=Pacing)
    cooldown: Cooldown = Field(default_factory=Cooldown)
    timeout_ms: float = Field(default=15_000, gt=0)
    #: Images, fonts and media are not loaded: a real page's megabytes
    #: cost time and memory and no flow reads them. Off for a portal whose controls need them.
    block_assets: bool = True
    #: When a case is traced (Playwright trace, kept only when the case fails): "retries"
    #: (a case whose last try failed: the trace then shows the failure again), "always"
    #: (every case: about a quarter more CPU), "never". A failure always keeps its
    #: screenshot, its page's HTML and the step and locator that failed.
    trace: Literal["retries", "always", "never"] = "retries"
    #: Older name: true is "always", false "never".
    trace_failures: bool | None = None
    check_interval_hours: float = Field(default=24, gt=0)
    portal_profile: Path | None = None
    buyer_name: str | None = None
    now: AwareDatetime | None = Field(
        default=None, description="Fixed 'now' (tests, demos against the mock portal's clock)"
    )

    # -- the distributed mode (docs/scale-out.md); all unset: the embedded default --------
    #: The shared journal, "postgresql://user@host:port/db" (psycopg 3). Unset: the SQLite
    #: file in ``data_dir``. A secret: the URL may hold the database password.
    journal_url: SecretStr | None = None
    #: Redis, "redis://host:port/0": the Celery broker of `worker`/`enqueue`, and the
    #: account locks and rate limits the workers share. A secret, as it may hold a password.
    broker_url: SecretStr | None = None
    #: A browser on another host, started by `order-assistant browser-server`:
    #: "ws://host:port". Unset: each worker launches its own Chromium.
    browser_ws_endpoint: str | None = None
    #: The token that browser server requires; never logged.
    browser_token: SecretStr | None = None
    #: How long a queue worker's lease on a case, and its lock on the case's account, last.
    #: A live worker renews both every third of it while it works the case
    #: (``assistant.app.lease_heartbeat``), so it need not outlast the slowest case: it is
    #: how long a worker killed mid-case keeps its case and account from the others.
    lease_seconds: float = Field(default=600, gt=0)

    @property
    def trace_mode(self) -> Literal["retries", "always", "never"]:
        """``trace``, or what the older ``trace_failures`` said."""
        if self.trace_failures is not None:
            return "always" if self.trace_failures else "never"
        return self.trace

    @property
    def journal_path(self) -> Path:
        """The SQLite journal file of the embedded default (unused with ``journal_url``)."""
        return self.data_dir / "journal.sqlite3"

    @property
    def journal_location(self) -> str | Path:
        """Where the journal is, for ``open_journal``: the ``journal_url`` when set (the
        shared PostgreSQL journal), else the SQLite file ``journal_path``."""
        if self.journal_url is not None:
            return self.journal_url.get_secret_value()
        return self.journal_path

    @property
    def logins_dir(self) -> Path:
        return self.data_dir / "logins"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @field_validator("portal_profile")
    @classmethod
    def _known_profile(cls, value: Path | None) -> Path | None:
        from flows.profile import BUNDLED

        if value is None or str(value) in BUNDLED or value.is_file():
            return value
        raise ValueError(f"neither a bundled profile ({', '.join(BUNDLED)}) nor a file")

    @field_validator("journal_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        # Anything else would be taken for a file name by open_journal.
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError("must be a postgresql:// URL (unset: the SQLite journal)")
        return value

    @field_validator("portal_url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        host = urlsplit(value).hostname
        if not host or any(c.isspace() for c in value):
            raise ValueError("must be an http(s) URL with a host, e.g. https://portal.example")
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _CONFIG_FILE.get() or config_path()
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, path))

    def secret_values(self) -> list[str]:
        """Every configured password, TOTP secret, notification URL, the remote browser's
        token and the journal's and broker's URLs and passwords, for redaction and scrubbing."""
        accounts = [
            secret.get_secret_value()
            for account in self.all_accounts()
            for secret in (account.resolved_password(), account.totp_secret)
            if secret is not None
        ]
        notify = [part for url in self.notify for part in _url_secrets(url)]
        session_key = os.environ.get(f"{ENV_PREFIX}SESSION_KEY", "").strip()
        others = [session_key] if session_key else []
        if self.browser_token is not None:
            others.append(self.browser_token.get_secret_value())
        for server in (self.journal_url, self.broker_url):
            if server is not None:  # the URL, and its password wherever a library shows it
                text = server.get_secret_value()
                others += [text, *filter(None, [urlsplit(text).password])]
        return accounts + notify + others

    def all_accounts(self) -> list[Account]:
        """The configured accounts, with the single username/password pair as the first."""
        accounts = list(self.accounts)
        if self.username:
            accounts.insert(
                0,
                Account(
                    username=self.username,
                    password=self.password,
                    totp_secret=self.totp_secret,
                ),
            )
        return accounts


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Load and validate the settings; any problem becomes a ConfigError naming the key."""
    if config is not None and not config.is_file():
        raise ConfigError(
            f"config file {str(config)!r} not found",
            key="--config",
            fix="pass the path of an existing TOML file",
        )
    token = _CONFIG_FILE.set(config)
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "config"
        secret = any(
            word in key
            for word in ("password", "secret", "notify", "token", "journal_url", "broker_url")
        )
        # An unknown key may be a misspelt secret ("pasword"): its value is never shown.
        hidden = secret or first["type"] == "extra_forbidden"
        shown = "***" if hidden else _shown(first.get("input"))
        variable = f"{ENV_PREFIX}{first['loc'][0]}".upper() if first["loc"] else ""
        # The environment wins over the file, so a variable that is set is the source
        # (pydantic-settings matches variable names case-insensitively).
        if variable and variable in {name.upper() for name in os.environ}:
            fix = f"correct the {variable} variable"
        else:
            fix = f"correct `{key}` in the config file {_CONFIG_FILE.get() or config_path()}"
        raise ConfigError(f"{first['msg']} (got {shown})", key=key, fix=fix) from None
    except SettingsError as exc:  # a variable's value that is not valid JSON, for a list
        raise ConfigError(
            f"cannot read the configuration: {first_line(exc)}",
            key="environment",
            fix=f"give list and table settings in {ENV_PREFIX}* variables as JSON, "
            "e.g. ORDER_ASSISTANT_NOTIFY='[\"ntfy://topic\"]'",
        ) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError(
            f"cannot read the configuration: {exc}",
            key="config",
            fix="check the TOML syntax of the config file",
        ) from None
    finally:
        _CONFIG_FILE.reset(token)


def _url_secrets(url: SecretStr) -> list[str]:
    """A notification URL and the parts of it that are tokens (user, password, long path
    and query parts): a library may log a URL it built from them."""
    text = url.get_secret_value()
    parts = urlsplit(text)
    pieces = [parts.username, parts.password, *parts.path.split("/"), *parts.query.split("&")]
    return [text, *(p.split("=")[-1] for p in pieces if p and len(p.split("=")[-1]) >= 12)]


def _shown(value: object) -> str:
    """A short, secret-free rendering of a rejected value for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


KEYRING_SERVICE = "order-assistant"


def _from_keyring(username: str) -> SecretStr | None:
    """The password stored with ``keyring set order-assistant USERNAME``, if any."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency, but optional at heart
        return None
    try:
        stored = keyring.get_password(KEYRING_SERVICE, username)
    except KeyringError:  # no usable backend (headless server): not an error
        return None
    return SecretStr(stored) if stored else None
