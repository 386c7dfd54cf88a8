"""The use cases behind the CLI: cancel orders now, resume due cases, plan, list orders.

Builds what a run needs from the settings (browser, one ``Portal`` per account with its
saved login, the journal, the clock) and hands each order to the ``Runner``. The CLI only
parses arguments and prints what comes back.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigError, NeedsUserError, PortalError
from assistant.journal import Case, Journal, open_journal
from assistant.models import Intent, Preferences
from assistant.runner import CaseReport, Runner
from assistant.schedule import make_clock
from assistant.settings import Account, Settings

if TYPE_CHECKING:
    from assistant.recording import Recording
    from assistant.replay import HarReplayer
    from flows.orders_page import OrderSummary
    from flows.portal import Portal

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


@dataclass
class Session:
    """How a run talks to the portal: live, recorded into a folder, or replayed from one."""

    recording: Recording | None = None
    replayer: HarReplayer | None = None


@contextmanager
def portals(
    settings: Settings, session: Session | None = None
) -> Iterator[Callable[[Account], Portal]]:
    """One browser for the run; a ``Portal`` per account, opened on first use."""
    from flows.portal import Credentials, Portal
    from flows.profile import load_profile
    from flows.session import launched_browser

    session = session or Session()
    profile = load_profile(settings.portal_profile)
    with ExitStack() as stack:
        _, browser = stack.enter_context(
            launched_browser(settings.browser, headless=settings.headless, slow_mo=settings.slow_mo)
        )
        opened: dict[str, Portal] = {}

        def make(account: Account, **options: Any) -> Portal:
            return Portal(
                browser,
                base_url=settings.portal_url,
                profile=profile,
                credentials=Credentials(
                    account.username, account.resolved_password(), account.totp_secret
                ),
                storage_state=settings.logins_dir / f"{_safe(account.username)}.json",
                timeout_ms=settings.timeout_ms,
                **options,
            )

        def get(account: Account) -> Portal:
            if account.username in opened:
                return opened[account.username]
            recording, replayer = session.recording, session.replayer
            if recording is not None:
                # Sign in where nothing records it; the recorded context reuses the login.
                with make(account) as signing_in:
                    signing_in.ensure_signed_in()
                portal = stack.enter_context(
                    make(account, block_assets=False, context_options=recording.context_options())
                )
                recording.start(portal.context)
                stack.callback(recording.stop, portal.context)  # runs before the close
            elif replayer is not None:
                portal = stack.enter_context(make(account, block_assets=False))
                replayer.install(portal.context)
            else:
                portal = stack.enter_context(make(account))
                if settings.trace_failures:
                    portal.trace_failures()
            opened[account.username] = portal
            return portal

        yield get


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in name)


def _runner(settings: Settings, journal: Journal, session: Session | None) -> Runner:
    recording = session.recording if session else None
    return Runner(
        journal,
        preferences=preferences_from(settings),
        clock=make_clock(settings),
        artifacts_dir=settings.artifacts_dir,
        check_interval=timedelta(hours=settings.check_interval_hours),
        evidence=recording.screenshot if recording else None,
        secrets=lambda: known_secrets(settings),
    )


def known_secrets(settings: Settings) -> list[str]:
    """Every secret value this run could have put on a page or in a request."""
    values = settings.secret_values()
    for state in settings.logins_dir.glob("*.json"):
        try:
            cookies = json.loads(state.read_text("utf-8")).get("cookies", [])
        except (OSError, ValueError):
            continue
        values.extend(str(cookie.get("value", "")) for cookie in cookies)
    return values


def _finish_recording(
    settings: Settings, session: Session | None, reports: Sequence[CaseReport]
) -> None:
    if session is None or session.recording is None:
        return
    outcome = [
        {
            "account": r.account,
            "order_id": r.order_id,
            "status": r.status,
            "actions": [a.kind.value for a in r.plan.actions] if r.plan else [],
            "final_label": r.final_label,
            "error": r.error,
        }
        for r in reports
    ]
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
    reports: list[CaseReport] = []
    if session is not None and session.recording is not None:
        session.recording.keep_journal(settings.journal_path)
    with (
        open_journal(settings.journal_path) as journal,
        portals(settings, session) as get_portal,
    ):
        runner = _runner(settings, journal, session)
        if not dry_run:
            # Every order asked for is journaled before the first is touched: a batch
            # killed half-way leaves the rest as due cases that the next `run` resumes.
            now = runner.clock()
            for order_id in order_ids:
                journal.open_case(account.username, order_id, intent.model_dump(mode="json"), now)
        for order_id in order_ids:

            def work(oid: str = order_id) -> CaseReport:
                portal = get_portal(account)
                return runner.process(portal, account.username, oid, intent, dry_run=dry_run)

            report = _guarded(account.username, order_id, work)
            reports.append(report)
            progress(report)
    _finish_recording(settings, session, reports)
    return reports


def run_due(
    settings: Settings,
    *,
    max_minutes: float,
    progress: Callable[[CaseReport], None] = lambda _: None,
    session: Session | None = None,
) -> list[CaseReport]:
    """Resume every due case of the journal, account by account, within the time budget."""
    deadline = time.monotonic() + max_minutes * 60
    reports: list[CaseReport] = []
    if session is not None and session.recording is not None:
        session.recording.keep_journal(settings.journal_path)
    with open_journal(settings.journal_path) as journal:
        due = journal.due_cases(make_clock(settings)())
        if not due:
            return []
        with portals(settings, session) as get_portal:
            runner = _runner(settings, journal, session)
            blocked: dict[str, str] = {}
            for case in due:
                if time.monotonic() > deadline:
                    log.warning(
                        "time budget of %s min used up; the rest waits for the next run",
                        max_minutes,
                    )
                    break
                if case.account in blocked:
                    # Not tried (a person must sign in first), but the journal says so.
                    reports.append(_held(journal, case, blocked[case.account], runner.clock()))
                    continue
                try:
                    account = account_for(settings, case.account)
                except ConfigError as exc:
                    reports.append(
                        CaseReport(
                            case.account, case.order_id, "failed", error=str(exc), exit_code=2
                        )
                    )
                    continue

                def work(c: Case = case, a: Account = account) -> CaseReport:
                    return runner.process(get_portal(a), c.account, c.order_id)

                report = _guarded(case.account, case.order_id, work)
                if report.error_type == "NeedsUserError":
                    # a human must sign in; other accounts go on
                    blocked[case.account] = report.error or "a person must sign in"
                reports.append(report)
                progress(report)
    _finish_recording(settings, session, reports)
    return reports


def _held(journal: Journal, case: Case, error: str, now: datetime) -> CaseReport:
    """A due case left alone because its account needs the user: needs_user, retried later."""
    payload = {"error": error, "type": "NeedsUserError", "screenshot": None}
    journal.record(case.id, "error", payload, now)
    journal.update_case(
        case.id, status="needs_user", now=now, next_due=now + timedelta(hours=1), advice=error
    )
    return CaseReport(
        case.account,
        case.order_id,
        "needs_user",
        error=error,
        error_type="NeedsUserError",
        exit_code=1,
    )


def _guarded(account: str, order_id: str, work: Callable[[], CaseReport]) -> CaseReport:
    """Errors outside one case's processing (sign-in, browser) become that case's report."""
    try:
        return work()
    except NeedsUserError as exc:
        return CaseReport(
            account,
            order_id,
            "needs_user",
            error=str(exc),
            error_type=type(exc).__name__,
            exit_code=1,
        )
    except PortalError as exc:
        return CaseReport(
            account,
            order_id,
            "failed",
            error=str(exc),
            error_type=type(exc).__name__,
            exit_code=exc.exit_code,
        )


def list_orders(settings: Settings, account_name: str | None) -> list[OrderSummary]:
    """Every order of the account as the portal lists it."""
    account = account_for(settings, account_name)
    with portals(settings) as get_portal:
        portal = get_portal(account)
        return portal.list_orders()


def journal_path_for(settings: Settings) -> Path:
    """Where the journal lives (for ``status``)."""
    return settings.journal_path
