"""What the policy's rules share: the decision context and small action builders.

Split out of ``assistant.domain.policy`` so the rules can live in two modules (before and after
shipping) without importing each other; nothing here is public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assistant.domain.messages import render_message
from assistant.domain.models import (
    Action,
    ActionKind,
    AdviceKind,
    CaseHistory,
    CaseStatus,
    Intent,
    IntentKind,
    MessageTemplateId,
    Order,
    Preferences,
)
from assistant.domain.reasons import reason_candidates

Result = tuple[list[Action], CaseStatus, datetime | None]


@dataclass(frozen=True)
class Ctx:
    """One decision's inputs, with the look-ups the rules need."""

    order: Order
    intent: Intent
    history: CaseHistory
    now: datetime
    prefs: Preferences

    @property
    def fraud(self) -> bool:
        return self.intent.kind is IntentKind.FRAUD

    @property
    def change(self) -> bool:
        return self.intent.kind is IntentKind.CHANGE_ORDER

    @property
    def reasons(self) -> tuple[str, ...]:
        return reason_candidates(self.intent, self.prefs)

    def sent(self, template: MessageTemplateId) -> datetime | None:
        return self.history.message_sent_at(template)

    def seller_replied_since(self, since: datetime) -> bool:
        last = self.history.last_seller_message
        return last is not None and last.at > since

    def message(self, template: MessageTemplateId, rule: str, why: str) -> Action:
        reason = self.reasons[0] if self.reasons else None
        text = render_message(
            template,
            self.order,
            self.prefs,
            reason=reason,
            change=self.intent.details,
            override=self.intent.message,
        )
        return Action(
            kind=ActionKind.MESSAGE_SELLER, rule=rule, why=why, template_id=template, message=text
        )


def at(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def wait(until: datetime, rule: str, why: str) -> Action:
    return Action(kind=ActionKind.WAIT, rule=rule, why=why, wait_until=until)


def advise(advice: AdviceKind, text: str, rule: str, why: str) -> Action:
    return Action(kind=ActionKind.ADVISE_USER, rule=rule, why=why, advice=advice, advice_text=text)


def check(rule: str, why: str, until: datetime | None = None) -> Action:
    return Action(kind=ActionKind.CHECK_SELLER_ANSWER, rule=rule, why=why, wait_until=until)


def nothing(rule: str, why: str) -> Action:
    return Action(kind=ActionKind.NOTHING, rule=rule, why=why)
