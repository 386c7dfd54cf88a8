"""Tell the user when a case needs them: one message per event, through Apprise.

The assistant mostly runs from cron, where nobody reads the log. When a case starts
needing the person (the seller shipped anyway, a refund is overdue), when a run fails for a
reason only the person can fix (the password was refused, a captcha, the portal changed),
and, if asked, when a case finishes, every ``notify`` URL gets one message.

Each event has a key in the journal (``notices``): an open problem is announced once, not
at every run; once it is gone (the case moved on, the account signed in again) its return
is announced again. A target that fails is logged and never fails the run; an event no
target took is tried again at the next run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from assistant.app.logs import RedactSecrets
from assistant.app.runner import CaseReport
from assistant.app.settings import Settings
from assistant.domain.errors import (
    AntiBotError,
    AssistantError,
    NeedsUserError,
    PortalChangedError,
    SessionOverError,
    SignInError,
    first_line,
)
from assistant.domain.kinds import CaseStatus
from assistant.journal.store import Journal

log = logging.getLogger(__name__)

TITLE = "order-assistant"


class NoticeKind(StrEnum):
    """What a notification is about (``notices.kind``)."""

    #: A case waits for the person (advice: dispute, contact support, read the seller).
    NEEDS_USER = "needs_user"
    #: A case is finished (only with ``notify_done``).
    DONE = "done"
    #: The account cannot go on until the person acts (sign-in refused, captcha, code,
    #: or the portal changed under the flows).
    ACCOUNT_PROBLEM = "account_problem"


@dataclass(frozen=True)
class Notice:
    """One event to announce."""

    key: str
    kind: NoticeKind
    account: str
    order_id: str | None
    title: str
    body: str


#: Failures the person must fix (or wait out), with what the message calls them and
#: what happens next.
_ACCOUNT_PROBLEMS: tuple[tuple[type[AssistantError], str, str], ...] = (
    (SignInError, "the portal refused the sign-in", ""),
    (
        SessionOverError,
        "the saved session is over: sign in with `order-assistant login`",
        "Cases of {account} wait for the sign-in; the next run after it goes on.",
    ),
    (
        AntiBotError,
        "the portal's anti-bot check: the account cools down",
        "Nothing to do: the cases of {account} go on by themselves after the cool-down.",
    ),
    (NeedsUserError, "the portal wants a person (captcha or one-time code)", ""),
    (PortalChangedError, "the portal's pages changed", ""),
)
_THEN = "Cases of {account} wait until it is fixed; then run `order-assistant run`."


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _problem(failure: AssistantError | None) -> tuple[str, str] | None:
    """What an account-level failure is called in a message, and what comes next; None
    for any other failure."""
    for kind, words, then in _ACCOUNT_PROBLEMS:
        if isinstance(failure, kind):
            return words, then or _THEN
    return None


def notices_for(reports: Sequence[CaseReport], *, notify_done: bool) -> list[Notice]:
    """The events a run's reports call for (dry runs call for none), each once."""
    found: dict[str, Notice] = {}
    for r in reports:
        if r.planned:
            continue
        found_problem = _problem(r.failure)
        if r.failure is not None and found_problem is not None:
            problem, then = found_problem
            key = f"{r.account}:problem:{_digest(problem)}"
            found.setdefault(
                key,
                Notice(
                    key,
                    NoticeKind.ACCOUNT_PROBLEM,
                    r.account,
                    None,
                    f"{TITLE}: {r.account} needs you ({problem})",
                    f"{first_line(r.failure)}\n{then.format(account=r.account)}",
                ),
            )
        elif r.case_status is CaseStatus.NEEDS_USER:
            advice = "\n".join(r.advice) or (r.error or "see `order-assistant status`")
            key = f"{r.account}:{r.order_id}:needs_user:{_digest(advice)}"
            found[key] = Notice(
                key,
                NoticeKind.NEEDS_USER,
                r.account,
                r.order_id,
                f"{TITLE}: order {r.order_id} needs you",
                f"{advice}\nHistory: order-assistant status {r.order_id}",
            )
        elif notify_done and r.case_status.closed:
            key = f"{r.account}:{r.order_id}:done"
            found[key] = Notice(
                key,
                NoticeKind.DONE,
                r.account,
                r.order_id,
                f"{TITLE}: order {r.order_id} is {r.case_status.value.replace('_', ' ')}",
                "\n".join(r.done) or "Nothing more to do for this order.",
            )
    return list(found.values())


def resolved_by(reports: Sequence[CaseReport]) -> list[str]:
    """Key prefixes of the events these reports show to be over."""
    prefixes: list[str] = []
    troubled = {r.account for r in reports if _problem(r.failure) is not None}
    for r in reports:
        if r.planned:
            continue
        if r.failure is None and r.account not in troubled:
            prefixes.append(f"{r.account}:problem:")  # the account worked this time
        if r.case_status is not CaseStatus.NEEDS_USER and r.failure is None:
            # A transient failure says nothing about the advice: only a case that went on
            # ends its "needs you" (else a flaky portal would repeat the message).
            prefixes.append(f"{r.account}:{r.order_id}:needs_user:")
    return prefixes


class Notifier:
    """The configured targets, each its own Apprise object so one failing is told apart."""

    def __init__(self, urls: Iterable[str], secrets: Iterable[str] = ()) -> None:
        import apprise

        # Apprise logs the request URLs it builds (tokens in them) at debug level.
        logging.getLogger("apprise").setLevel(logging.WARNING)

        self.targets: list[tuple[str, apprise.Apprise]] = []
        for index, url in enumerate(urls, start=1):
            name = f"target {index} ({url.split('://', 1)[0]}://)"
            target = apprise.Apprise()
            if not target.add(url):
                log.warning("notification %s is not a valid Apprise URL: ignored", name)
                continue
            self.targets.append((name, target))
        self._redact = RedactSecrets(secrets).redact

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        """The targets of ``notify``, redacting every configured secret."""
        return cls((u.get_secret_value() for u in settings.notify), settings.secret_values())

    def send(self, title: str, body: str) -> list[tuple[str, bool]]:
        """Send to every target; (target, delivered) each. Never raises."""
        results = []
        for name, target in self.targets:
            try:
                delivered = bool(target.notify(title=self._redact(title), body=self._redact(body)))
            except Exception as exc:  # a plugin's own failure must not end the run
                log.warning("notification %s failed: %s", name, first_line(exc))
                delivered = False
            if not delivered:
                log.warning("notification %s did not take the message %r", name, title)
            results.append((name, delivered))
        return results


def announce(
    settings: Settings, journal: Journal, reports: Sequence[CaseReport], now: datetime
) -> int:
    """Send what the reports call for and was not announced yet; how many were sent."""
    for prefix in resolved_by(reports):
        journal.resolve_notices(prefix, now)
    if not settings.notify:
        return 0
    pending = [
        n
        for n in notices_for(reports, notify_done=settings.notify_done)
        if not journal.notice_open(n.key)
    ]
    if not pending:
        return 0
    notifier = Notifier.from_settings(settings)
    sent = 0
    for notice in pending:
        if any(ok for _, ok in notifier.send(notice.title, notice.body)):
            journal.record_notice(
                notice.key,
                account=notice.account,
                order_id=notice.order_id,
                kind=notice.kind,
                now=now,
            )
            sent += 1
    return sent
