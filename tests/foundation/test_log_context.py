"""``log_context``: the fields a worker's lines carry, per thread, in JSON and in text."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from assistant.app.logs import (
    AddContext,
    JsonFormatter,
    RedactSecrets,
    TextFormatter,
    current_context,
    log_context,
)

log = logging.getLogger("tests.log_context")


@pytest.fixture
def lines() -> Iterator[tuple[io.StringIO, logging.Handler]]:
    """A handler set up as ``configure_logging`` does, writing to a string."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(AddContext())
    handler.addFilter(RedactSecrets(["hunter2-secret"]))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield out, handler
    log.removeHandler(handler)


def test_fields_nest_and_are_gone_after_the_block() -> None:
    with log_context(worker="w1"):
        with log_context(account="alex@example.com", order="8211279521850032"):
            with log_context(case=12):
                assert dict(current_context()) == {
                    "worker": "w1",
                    "account": "alex@example.com",
                    "order": "8211279521850032",
                    "case": "12",
                }
            assert "case" not in current_context()
        assert dict(current_context()) == {"worker": "w1"}
    assert dict(current_context()) == {}


def test_json_lines_carry_the_context_and_no_secret(
    lines: tuple[io.StringIO, logging.Handler],
) -> None:
    out, handler = lines
    handler.setFormatter(JsonFormatter())
    log.info("outside")
    with log_context(worker="celery@host-1", account="alex@example.com", case=7, order="42"):
        log.info("password hunter2-secret typed")
    outside, inside = (json.loads(line) for line in out.getvalue().splitlines())
    assert set(outside) == {"time", "level", "logger", "message", "worker"}
    assert outside["worker"].endswith(":MainThread")  # nobody named it: host:pid:thread
    assert {k: inside[k] for k in ("worker", "account", "case", "order")} == {
        "worker": "celery@host-1",
        "account": "alex@example.com",
        "case": "7",
        "order": "42",
    }
    assert "hunter2-secret" not in out.getvalue()


def test_the_context_is_redacted_too(lines: tuple[io.StringIO, logging.Handler]) -> None:
    out, handler = lines
    handler.setFormatter(JsonFormatter())
    with log_context(account="hunter2-secret"):
        log.info("hello")
    assert json.loads(out.getvalue())["account"] == "***"


def test_text_lines_show_the_context_compactly(lines: tuple[io.StringIO, logging.Handler]) -> None:
    out, handler = lines
    handler.setFormatter(TextFormatter())
    log.info("before")
    with log_context(account="alex@example.com", case=3, order="42"):
        log.info("during")
    with log_context(worker="celery@host-1"):
        log.info("named")
    before, during, named = out.getvalue().splitlines()
    assert before.endswith("INFO tests.log_context: before")  # the default worker: not shown
    assert during.endswith("tests.log_context [account=alex@example.com case=3 order=42]: during")
    assert named.endswith("tests.log_context [worker=celery@host-1]: named")


def test_each_thread_has_its_own_context(lines: tuple[io.StringIO, logging.Handler]) -> None:
    out, handler = lines
    handler.setFormatter(JsonFormatter())
    both_inside = threading.Barrier(2)

    def worker(account: str) -> None:
        with log_context(account=account):
            both_inside.wait(timeout=10)  # the other thread's context is set meanwhile
            log.info("working")

    threads = [
        threading.Thread(target=worker, args=(name,), name=f"case-worker_{n}")
        for n, name in enumerate(("alex", "sam"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    seen = {
        (line["worker"].rsplit(":", 1)[1], line["account"])
        for line in map(json.loads, out.getvalue().splitlines())
    }
    assert seen == {("case-worker_0", "alex"), ("case-worker_1", "sam")}
