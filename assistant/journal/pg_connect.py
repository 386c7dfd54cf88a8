"""Connecting to the PostgreSQL journal, and saying clearly why it failed.

The URL usually holds the database password, and the errors of a failed connection end up
in terminals, logs and notifications: so the database is only ever named as
``host:port/name``, and the driver's reason is scrubbed of the password before it is shown.
Nothing is done without the journal, so a database that cannot be reached or refuses us is
a ``JournalUnavailableError`` (exit code 3), with what to check; so is one that stops
answering once opened (``lost``, raised by every call of ``PgJournal``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import RowFactory

from assistant.domain.errors import JournalUnavailableError, first_line

#: How long a connection attempt may take unless the URL says (libpq waits forever).
CONNECT_TIMEOUT_S = 10


def where(url: str) -> str:
    """The database of ``url`` as "host:port/name": what messages may show of it."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        parts = {}
    host = str(parts.get("host") or "localhost")
    port = str(parts.get("port") or 5432)
    name = str(parts.get("dbname") or parts.get("user") or "")
    return f"{host}:{port}/{name}"


def _password(url: str) -> str | None:
    try:
        found = conninfo_to_dict(url).get("password")
    except psycopg.Error:
        found = urlsplit(url).password
        found = unquote(found) if found else None
    return str(found) if found else None


def _reason(url: str, error: BaseException) -> str:
    """The driver's reason in one line, the password of ``url`` starred out."""
    reason = first_line(error)
    secret = _password(url)
    return reason.replace(secret, "***") if secret else reason


def unavailable(url: str, error: BaseException) -> JournalUnavailableError:
    """The error to raise when the journal at ``url`` failed with ``error``."""
    reason = _reason(url, error)
    at = where(url)
    return JournalUnavailableError(
        f"cannot use the PostgreSQL journal at {at}: {reason}",
        where=at,
        fix="check that PostgreSQL runs and accepts this machine at that address, and that "
        "journal_url (ORDER_ASSISTANT_JOURNAL_URL) names the right host, port, database, "
        "user and password (or unset it to use the local SQLite journal)",
    )


def lost(url: str, error: BaseException, *, gone: bool = True) -> JournalUnavailableError:
    """The error to raise when the journal at ``url``, opened, failed a call with ``error``
    in the middle of a command: ``gone``, the connection broke (restarted, failed over,
    network cut); else the database refused the call on a live connection (a lock or
    statement time-out, a deadlock, a full disk)."""
    at = where(url)
    what = "stopped answering" if gone else "refused a call"
    when = "Once PostgreSQL answers again" if gone else "Once that is resolved"
    return JournalUnavailableError(
        f"the PostgreSQL journal at {at} {what}: {_reason(url, error)}",
        where=at,
        fix=f"nothing more is done without it, so this command stopped and started no other "
        f"order; what it did is journaled. {when}, `order-assistant run` picks the cases up "
        "(an order cut off half-way is settled from what the portal shows, never done twice)",
    )


def connect_journal_db(
    url: str, *, row_factory: RowFactory[dict[str, Any]]
) -> tuple[psycopg.Connection[dict[str, Any]], str]:
    """An autocommit connection in UTC to the journal database, and its "host:port/name"."""
    extra: dict[str, Any] = {}
    try:
        if "connect_timeout" not in conninfo_to_dict(url):
            extra["connect_timeout"] = CONNECT_TIMEOUT_S
        connection = psycopg.connect(url, autocommit=True, row_factory=row_factory, **extra)
    except psycopg.Error as exc:
        raise unavailable(url, exc) from None
    try:
        connection.execute("SET TIME ZONE 'UTC'")
    except psycopg.Error as exc:
        connection.close()
        raise unavailable(url, exc) from None
    return connection, where(url)
