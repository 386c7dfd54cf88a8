"""What the user is told about an account they must sign in to again, or that cools down
after an anti-bot check: one message per account and event, saying what comes next."""

from __future__ import annotations

from assistant.app.notify import notices_for, resolved_by
from assistant.app.runner import CaseReport
from assistant.domain.errors import (
    AntiBotError,
    AssistantError,
    CoolingDownError,
    SessionOverError,
)
from assistant.domain.kinds import CaseStatus

ALEX = "alex@example.com"


def failed(order_id: str, failure: AssistantError) -> CaseReport:
    return CaseReport(ALEX, order_id, CaseStatus.NEEDS_USER, failure=failure)


def test_an_expired_session_without_password_says_to_log_in() -> None:
    over = SessionOverError(
        "the portal asks alex to sign in again", fix="sign in with `order-assistant login`"
    )
    (notice,) = notices_for(
        [failed("8211000000000001", over), failed("8211000000000002", over)], notify_done=False
    )
    assert "order-assistant login" in notice.title
    assert "wait for the sign-in" in notice.body and "order-assistant login" in notice.body


def test_a_cool_down_is_told_once_for_the_account_with_nothing_to_do() -> None:
    met = AntiBotError("the portal answered with an anti-bot check", challenge="punish page")
    held = CoolingDownError("account alex is cooling down until 12:30", challenge="punish page")
    reports = [failed("8211000000000001", met), failed("8211000000000002", held)]

    (notice,) = notices_for(reports, notify_done=False)

    assert "cools down" in notice.title and notice.order_id is None
    assert notice.body.splitlines()[-1].startswith("Nothing to do")
    # Still cooling down: the problem is not over, so it is not announced again next run.
    assert f"{ALEX}:problem:" not in resolved_by(reports)
