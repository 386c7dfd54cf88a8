"""The use cases behind the CLI: cancel orders now, resume due cases, plan, list orders.

Builds what a run needs from the settings (browser, one ``Portal`` per account with its
saved login, the journal, the clock) and hands each order to the ``Runner``. The CLI only
parses arguments and prints what comes back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import ConfigError, NeedsUserError, PortalError
from assistant.journal import Case, Journal, open_journal
from assistant.models import Intent, Preferences
from assistant.runner import CaseReport, Runner
from assistant.settings import Account, Settings

if TYPE_CHECKING:
    from flows.orders_page import OrderSummary
    from flows.portal import Portal

log = logging.getLogger(__name__)


def make_clock(settings: Settings) -> Callable[[], datetime]:
    """The real time, or the fixed ``now`` of the settings (mock portal demos, tests)."""
    if settings.now is not None:
        fixed = settings.now
        return lambda: fixed
    return lambda: datetime.now(UTC)


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


@contextmanager
def portals(settings: Settings) -> Iterator[Callable[[Account], Portal]]:
    """One browser for the run; a ``Portal`` per account, opened on first use."""
    from flows.portal import Credentials, Portal
    from flows.profile import load_profile
    from flows.session import launched_browser

    profile = load_profile(settings.portal_profile)
    with ExitStack() as stack:
        _, browser = stack.enter_context(
            launched_browser(settings.browser, headless=settings.headless, slow_mo=settings.slow_mo)
        )
        opened: dict[str, Portal] = {}

        def get(account: Account) -> Portal:
            if account.username not in opened:
                state = settings.logins_dir / f"{_safe(account.username)}.json"
                opened[account.username] = stack.enter_context(
                    Portal(
                        browser,
                        base_url=settings.portal_url,
                        profile=profile,
                        credentials=Credentials(
                            account.username, account.resolved_password(), account.totp_secret
                        ),
                        storage_state=state,
                        timeout_ms=settings.timeout_ms,
                    )
                )
            return opened[account.username]

        yield get


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in name)


def _runner(settings: Settings, journal: Journal) -> Runner:
    return Runner(
        journal,
        preferences=preferences_from(settings),
        clock=make_clock(settings),
        artifacts_dir=settings.artifacts_dir,
        check_interval=timedelta(hours=settings.check_interval_hours),
    )


def cancel_orders(
    settings: Settings,
    order_ids: Sequence[str],
    intent: Intent,
    *,
    account_name: str | None = None,
    dry_run: bool = False,
    progress: Callable[[CaseReport], None] = lambda _: None,
) -> list[CaseReport]:
    """Observe, decide and act on each order now (``dry_run``: plan only, nothing clicked)."""
    account = account_for(settings, account_name)
    reports: list[CaseReport] = []
    with open_journal(settings.journal_path) as journal, portals(settings) as get_portal:
        runner = _runner(settings, journal)
        for order_id in order_ids:

            def work(oid: str = order_id) -> CaseReport:
                portal = get_portal(account)
                return runner.process(portal, account.username, oid, intent, dry_run=dry_run)

            report = _guarded(account.username, order_id, work)
            reports.append(report)
            progress(report)
    return reports


def nothing_due(settings: Settings) -> tuple[bool, datetime | None]:
    """Whether a scheduled run has anything to do now, without starting a browser."""
    if not settings.journal_path.exists():
        return True, None
    now = make_clock(settings)()
    with open_journal(settings.journal_path) as journal:
        return not journal.due_cases(now), journal.next_due()


def run_due(
    settings: Settings,
    *,
    max_minutes: float,
    progress: Callable[[CaseReport], None] = lambda _: None,
) -> list[CaseReport]:
    """Resume every due case of the journal, account by account, within the time budget."""
    deadline = time.monotonic() + max_minutes * 60
    reports: list[CaseReport] = []
    with open_journal(settings.journal_path) as journal:
        due = journal.due_cases(make_clock(settings)())
        if not due:
            return []
        with portals(settings) as get_portal:
            runner = _runner(settings, journal)
            blocked: set[str] = set()
            for case in due:
                if time.monotonic() > deadline:
                    log.warning(
                        "time budget of %s min used up; the rest waits for the next run",
                        max_minutes,
                    )
                    break
                if case.account in blocked:
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
                    blocked.add(case.account)  # a human must sign in; other accounts go on
                reports.append(report)
                progress(report)
    return reports


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
