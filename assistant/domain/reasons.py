"""Choosing the cancellation reason (DOMAIN.md rule 2).

The seller is more likely to accept a cancellation whose reason does not count against
them, so the assistant picks a buyer's-choice reason ("I ordered the wrong product(s)",
"Other reason(s)", ...) from the list the portal actually offers. The guides and the real
site word the reasons differently, hence tolerant matching. A reason that blames the
seller is only ever chosen when the user says the seller is a fraud.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import overload

from assistant.domain.models import Intent, IntentKind, Preferences

#: Reasons the platform counts against the supplier (PORTAL.md), normalised below.
SELLER_BLAMING_REASONS: tuple[str, ...] = (
    "I am not able to contact the supplier",
    "The supplier said the product(s) I want is out of stock",
    "The supplier refuses to ship the product(s)",
    "The supplier did not ship the order on time as agreed",
)
_BLAME_WORDS = ("supplier", "seller", "store", "fraud", "scam")


def normalise_reason(label: str) -> str:
    """Lower-case, "(s)" as "s", "cancelled" as "canceled", no punctuation or extra spaces."""
    text = label.casefold().replace("(s)", "s").replace("cancelled", "canceled")
    text = text.replace("\u2019", "'")
    text = re.sub(r"[^\w' ]+", " ", text)
    return " ".join(text.split())


def blames_seller(label: str) -> bool:
    """True when a reason counts against the seller (known list or mentions the seller)."""
    norm = normalise_reason(label)
    if norm in {normalise_reason(r) for r in SELLER_BLAMING_REASONS}:
        return True
    return any(word in norm.split() for word in _BLAME_WORDS)


def reason_candidates(intent: Intent, preferences: Preferences) -> tuple[str, ...]:
    """The reasons to try, best first: the user's override, then the preference list.

    Seller-blaming reasons are dropped unless the intent is fraud; wording variants are
    kept (the portal may spell a reason either way).
    """
    wanted = [intent.reason] if intent.reason else []
    wanted.extend(preferences.reasons)
    allow_blame = intent.kind is IntentKind.FRAUD
    result: list[str] = []
    for reason in wanted:
        if reason in result or (blames_seller(reason) and not allow_blame):
            continue
        result.append(reason)
    return tuple(result)


@overload
def choose_reason(
    offered: Sequence[str], intent: Intent, preferences: Preferences
) -> str | None: ...


@overload
def choose_reason(offered: None, intent: Intent, preferences: Preferences) -> tuple[str, ...]: ...


def choose_reason(
    offered: Sequence[str] | None, intent: Intent, preferences: Preferences
) -> str | tuple[str, ...] | None:
    """Pick the cancellation reason.

    With ``offered`` (the portal's drop-down labels): the offered label, exactly as the
    portal spells it, that best matches the candidates; ``None`` when no acceptable reason
    is offered (the caller must then ask the user, never guess). With ``offered=None``
    (planning before the dialog is open): the ordered candidates for the flow to match.
    """
    candidates = reason_candidates(intent, preferences)
    if offered is None:
        return candidates
    return match_offered(offered, candidates)


def match_offered(offered: Sequence[str], wanted: Sequence[str]) -> str | None:
    """The first wanted reason the portal offers, spelled as the portal spells it."""
    by_norm = {normalise_reason(label): label for label in offered}
    for candidate in wanted:
        label = by_norm.get(normalise_reason(candidate))
        if label is not None:
            return label
    return None
