"""A shared journal that cannot be reached, refuses us, or goes away once opened: a clear
error, exit code 3, naming the database but never its password, and nothing done without
it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from assistant.domain.errors import JournalUnavailableError
from assistant.journal.kinds import EventKind
from assistant.journal.store import open_journal
from tests.support.cli import invoke
from tests.support.servers import PostgresServer, free_port

PASSWORD = "pw-never-shown-7b1e"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ORDER = "8211279521850077"


def test_a_database_nobody_listens_on_is_a_clear_error() -> None:
    port = free_port()
    url = f"postgresql://oa:{PASSWORD}@127.0.0.1:{port}/journal"
    with pytest.raises(JournalUnavailableError) as raised, open_journal(url):
        pytest.fail("opened a journal nobody serves")
    error = raised.value
    assert error.exit_code == 3
    assert error.where == f"127.0.0.1:{port}/journal"
    assert f"127.0.0.1:{port}/journal" in str(error)
    assert error.fix is not None and "journal_url" in error.fix
    assert PASSWORD not in str(error) + repr(error) + repr(error.args)
    assert error.__cause__ is None and error.__suppress_context__  # no driver text chained


def test_a_server_that_refuses_the_database_is_a_clear_error(
    postgres_cluster: PostgresServer,
) -> None:
    url = postgres_cluster.url("no_such_database").replace("postgres@", f"postgres:{PASSWORD}@")
    with pytest.raises(JournalUnavailableError) as raised, open_journal(url):
        pytest.fail("opened a database that does not exist")
    assert "no_such_database" in str(raised.value)
    assert PASSWORD not in str(raised.value)


def test_status_with_an_unreachable_journal_exits_3_without_the_password(
    tmp_path: Path,
) -> None:
    url = f"postgresql://oa:{PASSWORD}@127.0.0.1:{free_port()}/journal"
    result = invoke(
        "status",
        env={
            "ORDER_ASSISTANT_DATA_DIR": str(tmp_path / "data"),
            "ORDER_ASSISTANT_CONFIG": str(tmp_path / "no-config.toml"),
            "ORDER_ASSISTANT_JOURNAL_URL": url,
        },
    )
    assert result.returncode == 3, result
    assert "PostgreSQL journal" in result.output and "127.0.0.1" in result.output, result
    assert PASSWORD not in result.output, result
    assert not (tmp_path / "data" / "journal.sqlite3").exists()


def test_a_journal_url_that_is_not_postgresql_is_refused_without_showing_it(
    tmp_path: Path,
) -> None:
    result = invoke(
        "status",
        env={
            "ORDER_ASSISTANT_DATA_DIR": str(tmp_path / "data"),
            "ORDER_ASSISTANT_CONFIG": str(tmp_path / "no-config.toml"),
            "ORDER_ASSISTANT_JOURNAL_URL": f"mysql://oa:{PASSWORD}@db/journal",
        },
    )
    assert result.returncode == 2, result
    assert "journal_url" in result.output and "postgresql://" in result.output, result
    assert PASSWORD not in result.output, result


def test_a_journal_whose_server_goes_away_raises_a_clear_error_from_every_call(
    own_postgres: PostgresServer,
) -> None:
    url = own_postgres.database().replace("postgres@", f"postgres:{PASSWORD}@")  # trust: unused
    with open_journal(url) as journal:
        case = journal.open_case("alex@example.com", ORDER, {"kind": "cancel"}, NOW)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):  # a bug stays a bug
            journal.record(case.id + 1, EventKind.ADVICE, {"text": "no such case"}, NOW)
        own_postgres.stop()  # restarted, failed over: the connection is gone

        with pytest.raises(JournalUnavailableError) as raised:
            journal.find_case("alex@example.com", ORDER)
        with pytest.raises(JournalUnavailableError):  # a write in a transaction, too
            journal.lease_case(case.id, "worker-1", NOW, 60)
    error = raised.value
    assert error.exit_code == 3
    assert error.where == f"127.0.0.1:{own_postgres.port}/{url.rsplit('/', 1)[1]}"
    assert "stopped answering" in str(error) and error.where in str(error)
    assert error.fix is not None and "order-assistant run" in error.fix
    assert PASSWORD not in str(error) + repr(error) + repr(error.args)
    assert error.__cause__ is None and error.__suppress_context__  # no driver text chained

    own_postgres.start()
    with open_journal(url) as journal:  # nothing lost: the case is there
        assert journal.find_case("alex@example.com", ORDER) == case


def test_a_call_the_database_refuses_on_a_live_connection_is_not_called_lost(
    postgres_url: str,
) -> None:
    """A lock time-out (the operator's ``lock_timeout``) while another session holds the
    table: the same clear error and exit code, saying the database refused the call, and
    the connection still serves the next one."""
    timed = f"{postgres_url}{'&' if '?' in postgres_url else '?'}options=-c%20lock_timeout%3D200"
    with open_journal(timed) as journal:
        journal.open_case("alex@example.com", ORDER, {"kind": "cancel"}, NOW)
        with psycopg.connect(postgres_url) as other, other.transaction():
            other.execute("LOCK TABLE cases IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(JournalUnavailableError) as raised:
                journal.find_case("alex@example.com", ORDER)
        assert journal.find_case("alex@example.com", ORDER) is not None  # still connected
    error = raised.value
    assert error.exit_code == 3
    assert "refused a call" in str(error) and "lock timeout" in str(error), error
    assert "stopped answering" not in str(error)
    assert error.fix is not None and "order-assistant run" in error.fix
