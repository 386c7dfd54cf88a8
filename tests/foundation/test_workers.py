"""How the workers share out a command's orders (by account, each once) and keep accounts apart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.app.settings import Account
from assistant.app.workers import Job, JobQueue
from assistant.domain.errors import NeedsUserError
from tests.support.orders import SCENARIO_ORDER

ALEX = Account(username="alex@example.com")
SAM = Account(username="sam@example.com")


def jobs(*accounts: Account) -> list[Job]:
    return [Job(n, account, f"82112795218500{n:02d}") for n, account in enumerate(accounts)]


def test_a_worker_keeps_to_its_account_then_takes_what_is_left() -> None:
    queue = JobQueue(jobs(ALEX, SAM, ALEX, SAM))
    taken = [queue.take(prefer="sam@example.com") for _ in range(2)]
    assert [j.index for j in taken if j] == [1, 3]
    assert [j.index for j in (queue.take("sam@example.com"), queue.take(None)) if j] == [0, 2]
    assert queue.take() is None and queue.left == 0


def test_nothing_is_handed_out_after_the_deadline_or_a_close() -> None:
    late = JobQueue(jobs(ALEX, ALEX), deadline=time.monotonic() - 1)
    assert late.take() is None and late.out_of_time and late.left == 2

    closed = JobQueue(jobs(ALEX, ALEX))
    assert closed.take() is not None
    closed.close()
    assert closed.take() is None and not closed.out_of_time and closed.left == 1


def test_a_blocked_account_keeps_its_first_reason() -> None:
    queue = JobQueue(jobs(ALEX))
    first = NeedsUserError("captcha")
    queue.block("alex@example.com", first)
    queue.block("alex@example.com", NeedsUserError("later reason"))
    assert queue.blocked("alex@example.com") is first
    assert queue.blocked("sam@example.com") is None


def test_an_order_is_never_queued_twice() -> None:
    twice = [Job(0, ALEX, SCENARIO_ORDER), Job(1, ALEX, SCENARIO_ORDER)]
    with pytest.raises(ValueError, match="only once"):
        JobQueue(twice)
    JobQueue([Job(0, ALEX, SCENARIO_ORDER), Job(1, SAM, SCENARIO_ORDER)])


def test_accounts_never_share_a_saved_login_file() -> None:
    from assistant.app.portal_set import login_file_name

    names = ["a+b@example.com", "a_b@example.com", "A_b@example.com", "a b@example.com"]
    files = {login_file_name(name) for name in names}
    assert len(files) == len(names)
    assert all(f.startswith(("a_b@example.com-", "A_b@example.com-")) for f in files)


def test_a_login_saved_under_the_older_name_is_kept(tmp_path: Path) -> None:
    from assistant.app.portal_set import saved_login_path
    from assistant.app.settings import Settings

    settings = Settings(data_dir=tmp_path, username="alex@example.com")
    settings.logins_dir.mkdir(parents=True)
    (settings.logins_dir / "alex@example.com.json").write_text("{}", encoding="utf-8")
    path = saved_login_path(settings, "alex@example.com")
    assert path.name.startswith("alex@example.com-") and path.read_text("utf-8") == "{}"

    # Two accounts that the older name could not tell apart: neither takes the file.
    shared = Settings(
        data_dir=tmp_path / "shared",
        username="a+b@example.com",
        accounts=[Account(username="a_b@example.com")],
    )
    shared.logins_dir.mkdir(parents=True)
    (shared.logins_dir / "a_b@example.com.json").write_text("{}", encoding="utf-8")
    assert not saved_login_path(shared, "a+b@example.com").exists()
    assert not saved_login_path(shared, "a_b@example.com").exists()


def test_the_first_ctrl_c_stops_the_queue_and_the_handler_is_put_back() -> None:
    import signal

    from assistant.app.workers import CtrlC

    before = signal.getsignal(signal.SIGINT)
    queue = JobQueue(jobs(ALEX, ALEX))
    with CtrlC(queue) as ctrl_c:
        signal.raise_signal(signal.SIGINT)  # the first: no exception, the queue closes
        assert ctrl_c.pressed and queue.take() is None and queue.left == 2
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # the second stops at once
    assert signal.getsignal(signal.SIGINT) is before
