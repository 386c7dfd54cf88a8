"""Reason choice (tolerant matching, never blaming the seller) and seller messages."""

from __future__ import annotations

import pytest
from policy_factories import order

from assistant.domain.messages import DEFAULT_TEMPLATES, render_message
from assistant.domain.models import Intent, IntentKind, MessageTemplateId, Preferences
from assistant.domain.reasons import blames_seller, choose_reason, normalise_reason

PORTAL = [
    "I ordered the wrong product(s)",
    "I placed a duplicate order",
    "I am not able to contact the supplier",
    "The supplier said the product(s) I want is out of stock",
    "The supplier refuses to ship the product(s)",
    "The supplier did not ship the order on time as agreed",
    "Other reason(s)",
]
CANCEL = Intent()
PREFS = Preferences()


def test_prefers_the_non_penalising_reason_the_portal_offers() -> None:
    assert choose_reason(PORTAL, CANCEL, PREFS) == "I ordered the wrong product(s)"


def test_guide_wording_falls_back_to_other_reasons() -> None:
    offered = ["Seller refuses to ship", "Other reasons", "I ordered the wrong item"]
    prefs = Preferences(reasons=("Other reasons", "I ordered the wrong item"))
    assert choose_reason(offered, CANCEL, prefs) == "Other reasons"
    assert choose_reason(["OTHER REASON(S)"], CANCEL, PREFS) == "OTHER REASON(S)"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Other reason(s)", "other reasons"),
        ("I ordered the wrong product(s)", "I ordered the wrong products."),
        ("Order Cancelled by me", "order canceled by me"),
        ("  I placed  a duplicate order ", "I placed a duplicate order"),
    ],
)
def test_tolerant_matching(a: str, b: str) -> None:
    assert normalise_reason(a) == normalise_reason(b)
    assert choose_reason([a], CANCEL, Preferences(reasons=(b,))) == a


def test_never_blames_the_seller_without_fraud() -> None:
    blaming = PORTAL[2:6]
    assert all(blames_seller(r) for r in blaming)
    assert not any(blames_seller(r) for r in (PORTAL[0], PORTAL[1], PORTAL[6]))
    assert choose_reason(blaming, CANCEL, PREFS) is None
    own = Intent(reason=PORTAL[4])
    assert choose_reason(PORTAL, own, PREFS) == "I ordered the wrong product(s)"
    fraud = Intent(kind=IntentKind.FRAUD, reason=PORTAL[4])
    assert choose_reason(PORTAL, fraud, PREFS) == PORTAL[4]


def test_unknown_offer_returns_the_candidates() -> None:
    assert choose_reason(None, CANCEL, PREFS) == PREFS.reasons
    assert choose_reason(None, Intent(reason="Changed my mind"), PREFS)[0] == "Changed my mind"


def test_every_template_renders_with_order_number_and_reason() -> None:
    o = order()
    for template in MessageTemplateId:
        text = render_message(template, o, PREFS, reason="Other reason(s)", change="size M")
        assert o.order_id in text
        assert text.startswith("Hello") and "{" not in text
        assert len(text) < 400
    assert set(DEFAULT_TEMPLATES) == set(MessageTemplateId)


def test_signature_only_with_a_buyer_name() -> None:
    o = order()
    plain = render_message(MessageTemplateId.CANCEL_REQUEST, o, PREFS, reason="x")
    assert plain.endswith("Thank you.")
    named = Preferences(buyer_name="Ana")
    assert render_message(MessageTemplateId.CANCEL_REQUEST, o, named, reason="x").endswith(
        "Thank you, Ana."
    )


def test_configured_template_and_bad_override() -> None:
    o = order()
    prefs = Preferences(templates={MessageTemplateId.DONT_SHIP: "Stop {order_id} ({reason})"})
    text = render_message(MessageTemplateId.DONT_SHIP, o, prefs, reason="Other reason(s)")
    assert text == f"Stop {o.order_id} (Other reason(s))"
    with pytest.raises(ValueError, match="password"):
        render_message(MessageTemplateId.DONT_SHIP, o, PREFS, override="{password}")


#: What each message must ask the seller for (issue 15: a template that stops saying it
#: fails here), in lower case.
MUST_SAY: dict[MessageTemplateId, tuple[str, ...]] = {
    MessageTemplateId.CANCEL_REQUEST: ("accept the cancellation", "do not ship"),
    MessageTemplateId.DONT_SHIP: ("do not ship", "cancel"),
    MessageTemplateId.AFTER_REJECTION: ("do not ship", "accept the cancellation"),
    MessageTemplateId.SHIPPED: ("return", "refund"),
    MessageTemplateId.SHIPMENT_CANCELED: ("new tracking number", "refund"),
    MessageTemplateId.CHANGE_ORDER: ("size m", "before shipping"),
}


@pytest.mark.parametrize("template", list(MessageTemplateId))
def test_every_message_says_what_it_must(template: MessageTemplateId) -> None:
    text = render_message(template, order(), PREFS, reason="Other reason(s)", change="size M")
    lowered = text.lower()
    for words in MUST_SAY[template]:
        assert words in lowered, (template, words, text)
    # A message to the seller never threatens, blames or reports them.
    for words in ("dispute", "report", "fraud", "scam"):
        assert words not in lowered, (template, words, text)
