"""The journal's own vocabularies: the kinds of history events and how an attempt ended.

The values are what the journal file holds (unchanged since schema version 1), so an
existing journal reads back into these members; SQL binds them as parameters.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """One line of a case's history (``events.kind``)."""

    #: What the order's page showed: status, label, offered buttons, refund.
    OBSERVATION = "observation"
    #: The policy's plan for the case.
    PLAN = "plan"
    #: A refund progress reading.
    REFUND = "refund"
    #: A message from the seller, first seen in this run.
    SELLER_MESSAGE = "seller_message"
    #: A message we sent to the seller (or found already sent).
    MESSAGE = "message"
    #: Advice given to the user.
    ADVICE = "advice"
    #: An evidence screenshot after an action.
    SCREENSHOT = "screenshot"
    #: The case failed or needs the user (with the evidence kept).
    ERROR = "error"
    #: An attempt left open by a killed run, settled from what the portal shows.
    RECOVERED = "recovered"


class AttemptOutcome(StrEnum):
    """How an attempt was settled (``attempts.outcome``; NULL while unsettled)."""

    #: The portal shows the effect: never to be done again.
    CONFIRMED = "confirmed"
    #: The portal proves it did not happen (a killed run stopped before the submit).
    NOT_APPLIED = "not_applied"
