"""The use cases behind the CLI: cancel orders now, resume due cases, plan, list orders,
probe the portal.

Turns a command into jobs (one per order), and gives each worker what it needs to do
them: its own journal connection, a ``Runner``, and the account's ``Portal`` with the
saved login and the sign-in gate shared with the other workers (``assistant.app.workers``
decides how many run, on one browser). The CLI only parses arguments and prints what
comes back.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from assistant.app.portal_set import Login, PortalSet, Session, logins_for
from assistant.app.runner import RECORDED_OUTCOME, CaseReport, Runner
from assistant.app.safety import (
    active_cooldown,
    cooling_down,
    room_for_an_order,
    start_cooldown,
)
from assistant.app.schedule import make_clock
from assistant.app.settings import Account, Settings
from assistant.app.workers import Emit, Job, JobQueue, Work, launched_for, run_jobs
from assistant.domain.errors import (
    AntiBotError,
    AssistantError,
    ConfigError,
    NeedsUserError,
    PortalError,
)
from assistant.domain.models import CaseStatus, Intent, Preferences
from assistant.journal.kinds import EventKind
from assistant.journal.store import Case, Journal, open_journal
from flows.browser.handle import BrowserHandle, browser_boundary

if TYPE_CHECKING:
    from flows.browser.sessions import SessionKey
    from flows.orders_page import OrderSummary
    from flows.portal import Portal
    from flows.probe import ProbeReport

log = logging.getLogger(__name__)


def preferences_from(settings: Settings) -> Preferences:
    """The policy's preferences from the settings (reasons first, then the defaults)."""
    base = Preferences()
    reasons = tuple(settings.preferred_reasons) or base.reasons
    return Preferences(reasons=reasons, buyer_name=settings.buyer_name)


def account_for(settings: Settings, username: str | None) -> Account:
    """The configured account by name (default: the first one), with a usable password."""
    accounts = settings.all_accounts()
    if not accounts:
        raise ConfigError(
            "no account configured",
            key="username",
            fix="set ORDER_ASSISTANT_USERNAME and ORDER_ASSISTANT_PASSWORD, or [[accounts]] "
            "in the config file",
        )
    if username is None:
        return accounts[0]
    for account in accounts:
        if account.username == username:
            return account
    raise ConfigError(
        f"no configured account named {username!r}",
        key="--account",
        fix=f"use one of: {', '.join(a.username for a in accounts)}",
    )


def runner_for(
    settings: Settings, journal: Journal, session: Session | None, configured_secrets: list[str]
) -> Runner:
    """The runner of one worker: the settings' policy, clock and evidence, on ``journal``."""
    recording = session.recording if session else None
    return Runner(
        journal,
        preferences=preferences_from(settings),
        clock=make_clock(settings),
        artifacts_dir=settings.artifacts_dir,
        check_interval=timedelta(hours=settings.check_interval_hours),
        evidence_path=recording.next_screenshot if recording else None,
        secrets=lambda: known_secrets(settings, configured_secrets),
        # A recording or a replay traces itself, the whole run.
        trace="never" if session is not None and session.sequential else settings.trace_mode,
    )


def known_secrets(settings: Settings, configured: list[str] | None = None) -> list[str]:
    """Every secret value this run could have put on a page or in a request.

    ``configured``: the passwords and TOTP secrets, resolved before the workers started (a
    keyring backend need not be thread-safe); the saved logins' cookies are read now.
    """
    from flows.browser.sessions import SessionFile, read_envelope, resolve_key

    values = list(configured) if configured is not None else settings.secret_values()
    key = resolve_key(create=False)
    for path in settings.logins_dir.glob("*.json"):
        envelope = read_envelope(path)
        if envelope is not None:
            cookies = SessionFile(path, str(envelope.get("account")), key).cookies()
        else:  # a plain file of an older version, not migrated yet
            try:
                cookies = json.loads(path.read_text("utf-8")).get("cookies", [])
            except (OSError, ValueError, AttributeError):
                continue
        values.extend(str(cookie.get("value", "")) for cookie in cookies)
    values.extend(_shared_session_cookies(settings, key))
    return values


def _shared_session_cookies(settings: Settings, key: SessionKey | None) -> list[str]:
    """The cookie values of the sessions kept in the shared journal ([] without one)."""
    from assistant.app.portal_set import saved_session
    from assistant.app.shared_sessions import shared_accounts

    return [
        str(cookie.get("value", ""))
        for account in shared_accounts(settings)
        for cookie in saved_session(settings, account, key).cookies()
    ]


def _finish_recording(
    settings: Settings, session: Session | None, reports: Sequence[CaseReport]
) -> None:
    if session is None or session.recording is None:
        return
    outcome = [{key: r.as_dict()[key] for key in RECORDED_OUTCOME} for r in reports]
    session.recording.finish(known_secrets(settings), outcome)


def cancel_orders(
    settings: Settings,
    order_ids: Sequence[str],
    intent: Intent,
    *,
    account_name: str | None = None,
    dry_run: bool = False,
    progress: Callable[[CaseReport], None] = lambda _: None,
    session: Session | None = None,
) -> list[CaseReport]:
    """Observe, decide and act on each order now (``dry_run``: plan only, nothing clicked)."""
    account = account_for(settings, account_name)
    if session is not None and session.recording is not None:
        session.recording.keep_journal(settings.journal_path)
    # Opened (created, migrated) here once, before the workers open their own connections.
    with open_journal(settings.journal_location) as journal:
        now = make_clock(settings)()
        # Every order asked for is journaled before the first is touched: a batch killed
        # half-way (or refused for a cool-down) leaves them as cases the next `run` resumes.
        asked = intent.model_dump(mode="json")
        opened = [] if dry_run else order_ids  # a dry run journals nothing
        cases = [journal.open_case(account.username, o, asked, now) for o in opened]
        refuse_if_cooling_down(journal, account.username, now, holding=cases)
    jobs = [Job(n, account, order_id, intent) for n, order_id in enumerate(order_ids)]
    reports: list[CaseReport] = []
    try:
        reports = run_jobs(
            settings,
            JobQueue(jobs),
            _work_for(settings, logins_for(settings, [account]), session, dry_run=dry_run),
            workers=_worker_count(settings, session, len(jobs)),
            progress=progress,
        )
    finally:
        _finish_recording(settings, session, reports)  # scrubbed even when interrupted
    if not dry_run:
        _announce(settings, reports)
    return reports


def _announce(settings: Settings, reports: list[CaseReport]) -> None:
    """Tell the user what needs them (``assistant.app.notify``): a target that fails is
    logged and does not change the command's result."""
    from assistant.app.notify import announce

    if not reports:
        return
    with open_journal(settings.journal_location) as journal:
        announce(settings, journal, reports, make_clock(settings)())


def run_due(
    settings: Settings,
    *,
    max_minutes: float,
    progress: Callable[[CaseReport], None] = lambda _: None,
    session: Session | None = None,
) -> list[CaseReport]:
    """Resume every due case of the journal on up to ``concurrency`` contexts, in time."""
    deadline = time.monotonic() + max_minutes * 60
    if session is not None and session.recording is not None:
        session.recording.keep_journal(settings.journal_path)
    reports: list[CaseReport] = []
    jobs: list[Job] = []
    accounts: dict[str, Account] = {}
    with open_journal(settings.journal_location) as journal:
        now = make_clock(settings)()
        for case in journal.due_cases(now):
            try:
                account = account_for(settings, case.account)
            except ConfigError as exc:
                status = CaseStatus.FAILED
                reports.append(
                    CaseReport(case.account, case.order_id, status, failure=exc, exit_code=2)
                )
                progress(reports[-1])
                continue
            cooldown = active_cooldown(journal, case.account, now)
            if cooldown is not None:  # left alone: nothing opened, not signed in
                reports.append(_held(journal, case, cooling_down(cooldown), now))
                progress(reports[-1])
                continue
            accounts[account.username] = account
            jobs.append(Job(len(jobs), account, case.order_id))
    if not reports and not jobs:
        return []
    queue = JobQueue(jobs, deadline)
    try:
        reports += run_jobs(
            settings,
            queue,
            _work_for(
                settings,
                logins_for(settings, list(accounts.values())),
                session,
                hold_blocked=True,
            ),
            workers=_worker_count(settings, session, len(jobs)),
            progress=progress,
        )
    finally:
        _finish_recording(settings, session, reports)  # scrubbed even when interrupted
    _announce(settings, reports)
    if queue.out_of_time:
        log.warning(
            "time budget of %s min used up; %d due case(s) wait for the next run",
            max_minutes,
            queue.left,
        )
    return reports


def refuse_if_cooling_down(
    journal: Journal, account: str, now: datetime, *, holding: Sequence[Case] = ()
) -> None:
    """Stop a command before it opens anything for an account in a cool-down. The new
    cases in ``holding`` are held first, as `run` holds its cases: worked when it ends."""
    cooldown = active_cooldown(journal, account, now)
    if cooldown is not None:
        for case in holding:
            if case.status is CaseStatus.NEW:
                _held(journal, case, cooling_down(cooldown), now)
        raise cooling_down(cooldown)


def _worker_count(settings: Settings, session: Session | None, jobs: int) -> int:
    """How many contexts to run: the setting, one per ``min_orders_per_context`` orders."""
    if session is not None and session.sequential:
        return 1
    return max(1, min(settings.concurrency, jobs // settings.min_orders_per_context))


def _work_for(
    settings: Settings,
    logins: dict[str, Login],
    session: Session | None,
    *,
    dry_run: bool = False,
    hold_blocked: bool = False,
) -> Work:
    """What each worker does: its own journal connection, runner and portals; job by job."""
    configured_secrets = settings.secret_values()  # resolved here, in the calling thread

    def work(browser: BrowserHandle, jobs: JobQueue, emit: Emit) -> None:
        with (
            open_journal(settings.journal_location) as journal,
            PortalSet(settings, browser, logins, session) as portals,
        ):
            runner = runner_for(settings, journal, session, configured_secrets)
            while (job := jobs.take(prefer=portals.current)) is not None:
                user = job.account.username
                blocked = jobs.blocked(user)
                held = held_back(journal, blocked, job, logins[user], runner.clock(), dry_run)
                if held is not None:
                    emit(job, held)
                    continue
                report, alive = work_on_case(settings, journal, runner, portals, job, dry_run)
                if isinstance(report.failure, AntiBotError):
                    # Stop the account at once: its other orders wait out the cool-down.
                    jobs.block(user, report.failure)
                elif hold_blocked and report.needs_user and report.failure is not None:
                    # a human must sign in; other accounts go on
                    jobs.block(user, report.failure)
                if not alive:
                    jobs.close()  # the browser is gone: the other orders stay due, untried
                emit(job, report)

    return work


def work_on_case(
    settings: Settings,
    journal: Journal,
    runner: Runner,
    portals: PortalSet,
    job: Job,
    dry_run: bool = False,
) -> tuple[CaseReport, bool]:
    """One case, the same for this process's workers and for the queue's
    (``assistant.app.queue_worker``): the report, and whether the browser is still there.

    Errors around the case (sign-in, browser) become its report; an anti-bot check starts
    the account's cool-down and closes its context; after a browser failure the next case
    gets a fresh context.
    """
    user = job.account.username

    def process_job() -> CaseReport:
        return runner.process(
            portals.get(job.account), user, job.order_id, job.intent, dry_run=dry_run
        )

    report = _guarded(portals.browser, user, job.order_id, process_job)
    if isinstance(report.failure, AntiBotError):
        _cool_down(journal, settings, report, report.failure, runner.clock())
        portals.close()
    if report.failure is not None and not portals.still_alive():
        return report, False
    if report.browser_failed:
        portals.close()  # a fresh context for the next order
    return report, True


def _cool_down(
    journal: Journal, settings: Settings, report: CaseReport, error: AntiBotError, now: datetime
) -> None:
    """The account met an anti-bot check: its cool-down starts, the case waits it out."""
    cooldown = start_cooldown(journal, settings, report.account, error, now)
    case = journal.find_case(report.account, report.order_id)
    if case is not None and not report.planned:
        journal.update_case(
            case.id,
            status=report.case_status,
            now=now,
            next_due=cooldown.until,
            advice=report.error,
        )
    report.next_due = cooldown.until


#: Up to this long, an order waits for room in its account's hourly cap; longer, it is
#: left for the next run (its case stays due).
PACING_PATIENCE_S = 60.0


def held_back(
    journal: Journal,
    blocked: AssistantError | None,
    job: Job,
    login: Login,
    now: datetime,
    dry_run: bool = False,
) -> CaseReport | None:
    """The report of a job not tried now (its account is ``blocked``: held, cooling down;
    or out of its hourly actions), or None to go on. Nothing is opened for it; the journal
    says why."""
    user = job.account.username
    case = None if dry_run else journal.find_case(user, job.order_id)
    if blocked is not None:
        if case is None:
            status = CaseStatus.NEEDS_USER
            return CaseReport(
                user, job.order_id, status, failure=blocked, exit_code=blocked.exit_code
            )
        return _held(journal, case, blocked, now)
    wait = room_for_an_order(login.pacer)
    if wait <= PACING_PATIENCE_S:
        return None  # fits in the hourly cap now, or the pacer waits that little
    resume = now + timedelta(seconds=wait)
    note = (
        f"not started: account {user} has used its {login.pacer.pace.per_hour} portal actions "
        f"of the hour (pacing); the first run from {resume:%H:%M} UTC goes on"
    )
    if case is None:
        return CaseReport(user, job.order_id, CaseStatus.NEW, advice=[note], next_due=resume)
    journal.reschedule(case.id, next_due=resume, now=now)
    return CaseReport(user, job.order_id, case.status, advice=[note], next_due=resume)


def _held(journal: Journal, case: Case, failure: AssistantError, now: datetime) -> CaseReport:
    """A due case left alone because its account needs the user or cools down (nothing
    opened): looked at again after the cool-down, or in an hour."""
    cooldown = active_cooldown(journal, case.account, now)
    next_due = cooldown.until if cooldown is not None else now + timedelta(hours=1)
    if cooldown is not None:
        failure = cooling_down(cooldown, case.order_id)
    payload = {"error": str(failure), "type": type(failure).__name__, "screenshot": None}
    journal.record(case.id, EventKind.ERROR, payload, now)
    journal.update_case(
        case.id, status=CaseStatus.NEEDS_USER, now=now, next_due=next_due, advice=str(failure)
    )
    return CaseReport(
        case.account,
        case.order_id,
        CaseStatus.NEEDS_USER,
        failure=failure,
        next_due=next_due,
        exit_code=failure.exit_code,
    )


def _guarded(
    browser: BrowserHandle, account: str, order_id: str, work: Callable[[], CaseReport]
) -> CaseReport:
    """Errors outside one case's processing (sign-in, browser) become that case's report.

    A browser failure (crashed, went away, context not created) leaves the flows as a
    ``BrowserFailure``: this order failed and stays due in the journal; the others are tried.
    """
    try:
        with browser_boundary(browser):
            return work()
    except PortalError as exc:
        status = CaseStatus.NEEDS_USER if isinstance(exc, NeedsUserError) else CaseStatus.FAILED
        return CaseReport(account, order_id, status, failure=exc, exit_code=exc.exit_code)


@contextmanager
def _portal_of(settings: Settings, account_name: str | None) -> Iterator[Portal]:
    """One account's portal on a browser of its own, for a command outside any case."""
    account = account_for(settings, account_name)
    with open_journal(settings.journal_location) as journal:
        refuse_if_cooling_down(journal, account.username, make_clock(settings)())
    try:
        with (
            launched_for(settings) as (_, browser),
            PortalSet(settings, browser, logins_for(settings, [account])) as portals,
        ):
            yield portals.get(account)
    except AntiBotError as exc:
        with open_journal(settings.journal_location) as journal:
            start_cooldown(journal, settings, account.username, exc, make_clock(settings)())
        raise


def list_orders(settings: Settings, account_name: str | None) -> list[OrderSummary]:
    """Every order of the account as the portal lists it."""
    with _portal_of(settings, account_name) as portal:
        return portal.list_orders()


def probe_portal(
    settings: Settings, account_name: str | None, order_id: str | None = None
) -> ProbeReport:
    """Check the portal against the profile, read-only: what a user runs after the site
    changed and before the first real cancellation (see ``flows.probe``)."""
    from flows.probe import probe

    with _portal_of(settings, account_name) as portal:
        return probe(portal, order_id)
