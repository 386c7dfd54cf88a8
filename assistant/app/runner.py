"""The runner: observe an order, let the policy decide, carry the plan out, journal it all.

Crash safety lives here. Before a click that changes an order, the attempt is written to
the journal; after the portal shows the effect, it is confirmed. A case holding an
unconfirmed attempt is re-observed first and the attempt settled from what the portal
shows, so a killed run never submits a second cancellation or sends a message twice.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from assistant.app.logs import log_context
from assistant.domain.errors import (
    AssistantError,
    BrowserFailure,
    JournalUnavailableError,
    NeedsUserError,
    OrderNotFoundError,
    PortalError,
    first_line,
)
from assistant.domain.models import (
    Action,
    ActionKind,
    CaseHistory,
    CaseStatus,
    Intent,
    Order,
    OrderStatus,
    Plan,
    Preferences,
)
from assistant.domain.policy import decide
from assistant.journal.case_history import (
    KEY_CANCEL_NOW,
    KEY_REQUEST,
    MESSAGE_PREFIX,
    build_history,
    first_seen,
    message_key,
)
from assistant.journal.kinds import AttemptOutcome, EventKind
from assistant.journal.store import Case, Journal

if TYPE_CHECKING:
    from flows.portal import Portal

log = logging.getLogger(__name__)

#: Order states that prove a cancellation (instant or request) took effect.
CANCEL_TOOK_EFFECT = frozenset(
    {OrderStatus.CANCELLATION_REQUESTED, OrderStatus.CANCELLATION_REJECTED, OrderStatus.CLOSED}
)
WAITING_FOR = {
    CaseStatus.WAITING_SELLER: "the seller's answer",
    CaseStatus.WAITING_REFUND: "the refund",
    CaseStatus.WAITING_CANCEL_BUTTON: "the 'Cancel order' button",
    CaseStatus.NEEDS_USER: "you (see the advice)",
}
#: The part of a report a recording keeps to check that a replay reproduces the run.
RECORDED_OUTCOME = ("account", "order_id", "status", "actions", "final_label", "error")


@dataclass
class CaseReport:
    """What happened to one case in this run, for the report and the exit code.

    ``as_dict()`` is the one serialisation of a report (``--json``, recordings): callers
    pick keys from it rather than building their own dicts.
    """

    account: str
    order_id: str
    case_status: CaseStatus
    #: A dry run: ``plan`` is what would be done, nothing was clicked or journaled.
    planned: bool = False
    plan: Plan | None = None
    done: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    next_due: datetime | None = None
    #: Why the case failed or needs the user (act on its type, never on its name).
    failure: AssistantError | None = None
    final_label: str | None = None
    screenshot: str | None = None
    #: The failed page's HTML (scrubbed), beside the screenshot.
    html: str | None = None
    trace: str | None = None
    exit_code: int = 0

    @property
    def status(self) -> str:
        """The status as shown: the case's state, or ``plan: <state>`` for a dry run."""
        return f"plan: {self.case_status}" if self.planned else self.case_status.value

    @property
    def error(self) -> str | None:
        """The failure's message, or None."""
        return str(self.failure) if self.failure is not None else None

    @property
    def needs_user(self) -> bool:
        """A person must act (sign in, answer a captcha) before this case can go on."""
        return isinstance(self.failure, NeedsUserError)

    @property
    def browser_failed(self) -> bool:
        """The browser failed around the flows: the next order should get a fresh context."""
        return isinstance(self.failure, BrowserFailure)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (times in minutes, enums as their values)."""
        return {
            "account": self.account,
            "order_id": self.order_id,
            "status": self.status,
            "done": list(self.done),
            "advice": list(self.advice),
            "next_due": self.next_due.isoformat(timespec="minutes") if self.next_due else None,
            "error": self.error,
            "screenshot": self.screenshot,
            "html": self.html,
            "trace": self.trace,
            "final_label": self.final_label,
            "actions": [a.kind.value for a in self.plan.actions] if self.plan else [],
            "plan": self.plan.model_dump(mode="json") if self.plan else None,
        }


class Runner:
    """Processes cases of one account through one signed-in ``Portal``."""

    def __init__(
        self,
        journal: Journal,
        *,
        preferences: Preferences,
        clock: Callable[[], datetime],
        artifacts_dir: Path,
        check_interval: timedelta = timedelta(days=1),
        evidence_path: Callable[[str], Path] | None = None,
        secrets: Callable[[], list[str]] = list,
        trace: Literal["retries", "always", "never"] = "retries",
    ) -> None:
        self.journal = journal
        self.preferences = preferences
        self.clock = clock
        self.artifacts_dir = artifacts_dir
        self.check_interval = check_interval
        self.evidence_path = evidence_path
        self.secrets = secrets
        self.trace = trace

    # -- one case -------------------------------------------------------------------------
    def process(
        self,
        portal: Portal,
        account: str,
        order_id: str,
        intent: Intent | None = None,
        *,
        dry_run: bool = False,
    ) -> CaseReport:
        """Observe, decide, act (unless ``dry_run``) and journal one order of ``account``.

        Every line logged meanwhile carries the account, the order and the case
        (``assistant.app.logs.log_context``)."""
        with log_context(account=account, order=order_id):
            try:
                return self._process_order(portal, account, order_id, intent, dry_run=dry_run)
            except JournalUnavailableError as gone:
                raise gone.under_way(order_id) from None

    def _process_order(
        self, portal: Portal, account: str, order_id: str, intent: Intent | None, *, dry_run: bool
    ) -> CaseReport:
        now = self.clock()
        if dry_run:
            stored = self.journal.find_case(account, order_id)
            chosen = intent or (Intent.model_validate(stored.intent) if stored else Intent())
            order = portal.read_order(order_id, now)
            history = build_history(order_id, [], []) if stored is None else self._history(stored)
            plan = decide(order, chosen, history, now, self.preferences)
            return CaseReport(account, order_id, plan.case_status, planned=True, plan=plan)
        case = self.journal.open_case(
            account, order_id, (intent or Intent()).model_dump(mode="json"), now
        )
        report = CaseReport(account, order_id, case.status)
        # "retries": a case whose last try failed is traced, so a second failure comes
        # with the trace that shows it; a first failure has its screenshot and HTML.
        retry = case.status is CaseStatus.FAILED
        with log_context(case=case.id):
            portal.begin_case(trace=self.trace == "always" or (self.trace == "retries" and retry))
            try:
                self._process(portal, case, report, now)
            except JournalUnavailableError:
                # Not even this failure can be journaled: the case stays as last journaled
                # (an attempt begun before a click is settled by the next run from what the
                # portal shows) and the command stops. The context serves a queue worker's
                # next case, so its trace is dropped.
                with contextlib.suppress(BrowserFailure):
                    portal.end_case()
                raise
            except AssistantError as exc:
                self._fail(portal, case, report, exc, now)
            else:
                portal.end_case()
        return report

    def _process(self, portal: Portal, case: Case, report: CaseReport, now: datetime) -> None:
        intent = Intent.model_validate(case.intent)
        order = self._observe(portal, case, now)
        self._settle_unfinished(portal, case, order, now)
        history = self._history(case)
        plan = decide(order, intent, history, now, self.preferences)
        report.plan = plan
        self.journal.record(case.id, EventKind.PLAN, plan.model_dump(mode="json"), now)
        self._keep_evidence(portal, case, "observed", now)
        report.final_label = order.status_label
        for action in plan.actions:
            self._execute(portal, case, order, action, report, now)
            if action.kind in (
                ActionKind.CANCEL_NOW,
                ActionKind.REQUEST_CANCELLATION,
                ActionKind.MESSAGE_SELLER,
            ):
                self._keep_evidence(portal, case, action.kind.value, now)
        next_due: datetime | None = None
        if not plan.case_status.closed:
            # Look again at least every check interval: a seller may answer any day, and a
            # case that needs the user may still change (delivered, refunded).
            soon = self.clock() + self.check_interval
            next_due = min(plan.next_check_at, soon) if plan.next_check_at else soon
        advice = "; ".join(report.advice) or None
        self.journal.update_case(
            case.id,
            status=plan.case_status,
            now=self.clock(),
            waiting_for=WAITING_FOR.get(plan.case_status),
            next_due=next_due,
            advice=advice,
        )
        report.case_status = plan.case_status
        report.next_due = next_due
        if plan.case_status is CaseStatus.NEEDS_USER:
            report.exit_code = 1

    # -- observing ------------------------------------------------------------------------
    def _observe(self, portal: Portal, case: Case, now: datetime) -> Order:
        order = portal.read_order(case.order_id, now)
        events = self.journal.events(case.id, EventKind.OBSERVATION)
        if order.status is OrderStatus.CLOSED and order.closed_at is None:
            closed_at = first_seen(events, OrderStatus.CLOSED) or now
            order = order.model_copy(update={"closed_at": closed_at})
        self.journal.record(
            case.id,
            EventKind.OBSERVATION,
            {
                "status": order.status.value,
                "label": order.status_label,
                "actions": sorted(a.value for a in order.actions),
                "refund": order.refund.model_dump(mode="json") if order.refund else None,
            },
            now,
        )
        if order.refund is not None:
            self.journal.record(
                case.id, EventKind.REFUND, order.refund.model_dump(mode="json"), now
            )
        # Once we have written to the seller, every observation reads the answer too.
        if any(key.startswith(MESSAGE_PREFIX) for key in self.journal.done_actions(case.id)):
            self._read_seller_messages(portal, case, now)
        return order

    def _read_seller_messages(self, portal: Portal, case: Case, now: datetime) -> None:
        known = {
            (e.payload.get("text"), e.payload.get("at"))
            for e in self.journal.events(case.id, EventKind.SELLER_MESSAGE)
        }
        for message in portal.read_messages(case.order_id):
            if message.from_buyer:
                continue
            at = message.at.isoformat() if message.at else None
            if (message.text, at) not in known:
                self.journal.record(
                    case.id,
                    EventKind.SELLER_MESSAGE,
                    {"author": message.author, "text": message.text, "at": at},
                    now,
                )

    def _settle_unfinished(self, portal: Portal, case: Case, order: Order, now: datetime) -> None:
        """Decide from the portal whether attempts a killed run left open took effect."""
        for attempt in self.journal.unsettled_attempts(case.id):
            if attempt.action_key in (KEY_CANCEL_NOW, KEY_REQUEST):
                took = order.status in CANCEL_TOOK_EFFECT
            else:
                text = " ".join(str(attempt.payload.get("text", "")).split())
                took = any(
                    m.from_buyer and " ".join(m.text.split()) == text
                    for m in portal.read_messages(case.order_id)
                )
            outcome = AttemptOutcome.CONFIRMED if took else AttemptOutcome.NOT_APPLIED
            log.warning(
                "order %s: settled an interrupted %s as %s",
                case.order_id,
                attempt.action_key,
                outcome,
            )
            self.journal.settle_attempt(attempt.id, outcome, now)
            self.journal.record(
                case.id,
                EventKind.RECOVERED,
                {"action": attempt.action_key, "outcome": outcome.value},
                now,
            )

    def _history(self, case: Case) -> CaseHistory:
        return build_history(
            case.order_id, self.journal.attempts(case.id), self.journal.events(case.id)
        )

    # -- acting ---------------------------------------------------------------------------
    def _execute(
        self,
        portal: Portal,
        case: Case,
        order: Order,
        action: Action,
        report: CaseReport,
        now: datetime,
    ) -> None:
        kind = action.kind
        if kind in (ActionKind.CANCEL_NOW, ActionKind.REQUEST_CANCELLATION):
            self._cancel(portal, case, action, report, now)
        elif kind is ActionKind.MESSAGE_SELLER:
            self._message(portal, case, action, report, now)
        elif kind is ActionKind.ADVISE_USER:
            text = action.advice_text or ""
            report.advice.append(text)
            self.journal.record(
                case.id, EventKind.ADVICE, {"advice": str(action.advice), "text": text}, now
            )
        elif kind is ActionKind.CHECK_SELLER_ANSWER:
            self._read_seller_messages(portal, case, now)

    def _cancel(
        self, portal: Portal, case: Case, action: Action, report: CaseReport, now: datetime
    ) -> None:
        key = KEY_CANCEL_NOW if action.kind is ActionKind.CANCEL_NOW else KEY_REQUEST
        if self.journal.done_actions(case.id) & {KEY_CANCEL_NOW, KEY_REQUEST}:
            log.info("order %s: a cancellation was already confirmed; never twice", case.order_id)
            return
        attempt: list[int] = []

        def before_submit(details: dict[str, object]) -> None:
            attempt.append(self.journal.begin_attempt(case.id, key, details, self.clock()))

        result = portal.cancel(
            case.order_id,
            reasons=action.reason_candidates or ((action.reason,) if action.reason else ()),
            report_supplier=bool(action.report_supplier),
            now=now,
            before_submit=before_submit,
        )
        report.final_label = result.order.status_label
        if attempt:
            self.journal.settle_attempt(attempt[0], AttemptOutcome.CONFIRMED, self.clock())
        elif result.order.status in CANCEL_TOOK_EFFECT:
            # Done before we got here (by hand, or by a run whose journal was lost).
            done = self.journal.begin_attempt(case.id, key, {"found_done": True}, now)
            self.journal.settle_attempt(done, AttemptOutcome.CONFIRMED, now)
        verb = "cancelled" if key == KEY_CANCEL_NOW else "requested cancellation"
        # An instant cancel asks no report question (report_supplier is None): say nothing.
        answered = (
            "" if result.report_supplier is None else f", report: {_yes_no(result.report_supplier)}"
        )
        report.done.append(
            f"{verb} (reason {result.reason!r}{answered})"
            if result.submitted
            else f"cancellation already {result.order.status_label}"
        )

    def _message(
        self, portal: Portal, case: Case, action: Action, report: CaseReport, now: datetime
    ) -> None:
        assert action.template_id is not None and action.message is not None
        key = message_key(action.template_id)
        if key in self.journal.done_actions(case.id):
            return
        attempt: list[int] = []

        def before_send() -> None:
            attempt.append(
                self.journal.begin_attempt(case.id, key, {"text": action.message}, self.clock())
            )

        sent = portal.send_message(case.order_id, action.message, before_send=before_send)
        if not attempt:
            attempt.append(self.journal.begin_attempt(case.id, key, {"text": action.message}, now))
        self.journal.settle_attempt(attempt[0], AttemptOutcome.CONFIRMED, self.clock())
        self.journal.record(
            case.id,
            EventKind.MESSAGE,
            {"template": key, "text": action.message, "sent_now": sent},
            now,
        )
        report.done.append(
            f"messaged the seller ({action.template_id.value})"
            if sent
            else "message already in the thread"
        )

    def _keep_evidence(self, portal: Portal, case: Case, label: str, now: datetime) -> None:
        if self.evidence_path is None:
            return
        path = portal.screenshot(self.evidence_path(f"{case.order_id}-{label}"))
        if path:
            self.journal.record(case.id, EventKind.SCREENSHOT, {"path": path, "label": label}, now)

    # -- failing --------------------------------------------------------------------------
    def _fail(
        self, portal: Portal, case: Case, report: CaseReport, exc: AssistantError, now: datetime
    ) -> None:
        screenshot = self._screenshot(portal, case.order_id)
        html = self._html(portal, case.order_id)
        trace = self._keep_trace(portal, case.order_id)
        if isinstance(exc, PortalError) and screenshot:
            exc.screenshot = screenshot
        needs_user = isinstance(exc, NeedsUserError) or exc.exit_code == 1
        status = CaseStatus.NEEDS_USER if needs_user else CaseStatus.FAILED
        self.journal.record(
            case.id,
            EventKind.ERROR,
            {
                "error": str(exc),
                "type": type(exc).__name__,  # for people reading the history only
                "screenshot": screenshot,
                "html": html,
                "trace": trace,
            },
            now,
        )
        if isinstance(exc, OrderNotFoundError):
            # A wrong number stays wrong: close the case instead of retrying it forever.
            status = CaseStatus.NOT_FOUND
            self.journal.update_case(case.id, status=status, now=now, advice=str(exc))
        else:
            # Keep the case open and look again soon: nothing was confirmed that should not be.
            self.journal.update_case(
                case.id,
                status=status,
                now=now,
                next_due=now + timedelta(hours=1),
                advice=str(exc),
            )
        report.case_status = status
        report.failure = exc
        report.screenshot = screenshot
        report.html = html
        report.trace = trace
        report.exit_code = exc.exit_code

    def _keep_trace(self, portal: Portal, order_id: str) -> str | None:
        """The failed case's trace chunk, scrubbed of secrets (None when not tracing)."""
        from flows.browser.scrub import SecretSet, scrub_zip

        path = self.artifacts_dir / "failures" / f"{order_id}-{self.clock():%Y%m%dT%H%M%S}.zip"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            portal.end_case(path)
        except BrowserFailure as trace_error:  # evidence is best effort, never the failure
            log.warning("no trace for order %s: %s", order_id, first_line(trace_error))
            return None
        if not path.exists():
            return None
        scrub_zip(path, SecretSet(self.secrets()))
        return str(path)

    def _html(self, portal: Portal, order_id: str) -> str | None:
        """The failed page's HTML, scrubbed of secrets: what the flows could not read."""
        from flows.browser.scrub import SecretSet

        path = self.artifacts_dir / "failures" / f"{order_id}-{self.clock():%Y%m%dT%H%M%S}.html"
        return portal.html_snapshot(path, SecretSet(self.secrets()).scrub)

    def _screenshot(self, portal: Portal, order_id: str) -> str | None:
        path = self.artifacts_dir / "failures" / f"{order_id}-{self.clock():%Y%m%dT%H%M%S}.png"
        return portal.screenshot(path, full_page=True)


def _yes_no(answer: bool | None) -> str:
    return "Yes" if answer else "No"
