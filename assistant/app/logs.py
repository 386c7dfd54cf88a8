"""Logging set-up: quiet by default, ``-v``/``-vv``, JSON lines for schedulers, no secrets.

Every record passes a filter that replaces the configured secret values with stars, so a
password or token that slipped into a message (or an exception text) never reaches a log.

Many workers on many machines write one stream of logs (the distributed mode): a line is
only useful if it says whose it is. ``log_context`` sets the worker, account, case and
order for whatever runs inside it (context variables: per thread, never leaking into
another worker's lines), and every line logged there carries them.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType

LEVELS = {0: logging.WARNING, 1: logging.INFO}

#: The fields a line may carry, in the order they are shown.
FIELDS = ("worker", "account", "case", "order")

_CONTEXT: ContextVar[Mapping[str, str]] = ContextVar("log_context", default=MappingProxyType({}))


@contextmanager
def log_context(
    *,
    worker: str | None = None,
    account: str | None = None,
    case: int | str | None = None,
    order: str | None = None,
) -> Iterator[None]:
    """Tag every line logged inside with these fields (those given; the others stay as the
    enclosing context set them). Nests: a worker's name, then a case inside it."""
    given = {"worker": worker, "account": account, "case": case, "order": order}
    fields = {**_CONTEXT.get(), **{k: str(v) for k, v in given.items() if v is not None}}
    token = _CONTEXT.set(MappingProxyType(fields))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_context() -> Mapping[str, str]:
    """The fields ``log_context`` set for this thread (or task) now."""
    return _CONTEXT.get()


def default_worker() -> str:
    """This worker's name when nobody named it: host, process and thread, which is what
    tells two workers' lines apart in a merged stream."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


class AddContext(logging.Filter):
    """Put the current ``log_context`` on the record (``record.context``), in the thread
    that logs it; the worker's default name when none was given."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "context"):
            fields = dict(_CONTEXT.get())
            named = "worker" in fields
            fields.setdefault("worker", default_worker())
            record.context = fields
            record.named_worker = named
        return True


class RedactSecrets(logging.Filter):
    """Replace known secret values in the message and its arguments."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self.redact(record.getMessage())
            record.args = None
            context = getattr(record, "context", None)
            if isinstance(context, dict):
                record.context = {key: self.redact(value) for key, value in context.items()}
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the worker and, while
    a case is processed, its account, case and order."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = getattr(record, "context", {})
        payload.update((key, context[key]) for key in FIELDS if key in context)
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload)


class TextFormatter(logging.Formatter):
    """The readable line, with the context in brackets before the message when there is
    one: ``[account=me@example.com case=12 order=8211...]``. The worker only when it was
    named (a queue's worker): a person reading one command's output knows the rest."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(tags)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        context = dict(getattr(record, "context", {}))
        if not getattr(record, "named_worker", False):
            context.pop("worker", None)
        tags = " ".join(f"{key}={context[key]}" for key in FIELDS if key in context)
        record.tags = f" [{tags}]" if tags else ""
        return super().format(record)


def configure_logging(verbosity: int, fmt: str, secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr at the chosen level and format, secrets redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(AddContext())  # first: the secrets filter redacts the context too
    handler.addFilter(RedactSecrets(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS.get(verbosity, logging.DEBUG))
