"""Seller message templates (DOMAIN.md rule 4) and their rendering.

A message that says why and asks plainly is what gets a seller to accept a cancellation
or not ship. Templates are ``str.format`` strings with named fields; the user can override
any of them in the preferences. Only what the seller already sees goes in: the order
number, the store, the reason, the requested change and, if configured, the buyer's name.
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.domain.models import MESSAGE_FIELDS, MessageTemplateId, Order, Preferences

DEFAULT_TEMPLATES: Mapping[MessageTemplateId, str] = {
    MessageTemplateId.CANCEL_REQUEST: (
        "Hello {store}, I have just requested the cancellation of order {order_id} "
        "(reason: {reason}). Please accept the cancellation and do not ship it. "
        "Thank you{signature}."
    ),
    MessageTemplateId.DONT_SHIP: (
        "Hello {store}, I need to cancel order {order_id} (reason: {reason}). The cancel "
        "button is not available yet; I will request the cancellation as soon as it is. "
        "Please do not ship the order. Thank you{signature}."
    ),
    MessageTemplateId.AFTER_REJECTION: (
        "Hello {store}, my cancellation request for order {order_id} was rejected. "
        "I still need to cancel it (reason: {reason}). Please do not ship it and accept "
        "the cancellation. Thank you{signature}."
    ),
    MessageTemplateId.SHIPPED: (
        "Hello {store}, order {order_id} has already shipped but I no longer need it "
        "(reason: {reason}). How can I return it for a refund? Thank you{signature}."
    ),
    MessageTemplateId.SHIPMENT_CANCELED: (
        "Hello {store}, the tracking of order {order_id} says the shipment was canceled. "
        "Please send a new tracking number or refund the order. Thank you{signature}."
    ),
    MessageTemplateId.CHANGE_ORDER: (
        "Hello {store}, about order {order_id}: please make this change before shipping: "
        "{change}. If it is not possible, please tell me. Thank you{signature}."
    ),
}


def template_text(template_id: MessageTemplateId, preferences: Preferences) -> str:
    """The template to use: the user's override if any, else the default."""
    return preferences.templates.get(template_id, DEFAULT_TEMPLATES[template_id])


def render_message(
    template_id: MessageTemplateId,
    order: Order,
    preferences: Preferences,
    *,
    reason: str | None = None,
    change: str | None = None,
    override: str | None = None,
) -> str:
    """Fill a template for an order.

    ``override`` (the user's own text from the intent) replaces the template and may use
    the same fields. Unknown fields raise ``ValueError`` naming them.
    """
    text = override if override is not None else template_text(template_id, preferences)
    name = (preferences.buyer_name or "").strip()
    fields = {
        "order_id": order.order_id,
        "store": order.store,
        "reason": (reason or "personal reasons").strip(),
        "change": (change or "").strip(),
        "buyer_name": name,
        "signature": f", {name}" if name else "",
    }
    assert set(fields) == MESSAGE_FIELDS  # keep the two lists in step
    try:
        return text.format_map(fields).strip()
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"message template {template_id}: bad field {exc}; allowed: {sorted(MESSAGE_FIELDS)}"
        ) from exc
