"""Hostile page content (issue 15): the words of the portal's own controls planted in
product titles, store names and seller messages, and another order's card on the detail
page. The flows must click only the controls of the order asked for, in the right
container, and act on no other order.

One account holds one order per hostile kind, all asked for in one `cancel`, and a
bystander that is never asked for: one order's product titles read "Order ID: <bystander>"
and another order's detail page shows the bystander's card, "Cancel order" included. Three
days later (the portal's clock moved on) `run` follows the cases up. Each kind is its own
order and its own subtest, so a failure names the kind; the two commands are shared (one
browser start each per portal, not one per kind, and no module-scoped fixture that
pytest-xdist would set up again on each worker).

Every planted text is in the portal's own language: on "real-es" the seller writes
"Enviar", the word of the composer's button. What is asserted is what the user would
notice, from the portal's own records and the CLI's reports: the order asked for has one
request (the non-penalising reason, "No" to the report) and the one message its plan
announced, and after the follow-up nothing more, the seller's answer in its history; no
order that was not asked for has anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import SHORT_PAGE_TIMEOUT, Assistant, Result
from tests.support.portal import ALL_SKINS
from tests.support.scenarios import scenario
from tests.support.skins import text

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("portal_skin", ALL_SKINS)]

#: One order per hostile kind (what its pages show), all asked for in one `cancel`.
TITLE_CANCEL_ORDER = "8411000000000011"  # every product title ends in "Cancel order"
STORE_SUBMIT = "8411000000000012"  # the store is named "Submit"
TITLE_NO = "8411000000000013"  # every product title is "No"
STORE_NO = "8411000000000014"  # the store is named "No"
TITLE_OTHER_ORDER_ID = "8411000000000015"  # every product title is "Order ID: <BYSTANDER>"
INJECTED_CARD = "8411000000000016"  # the detail page also shows BYSTANDER's card
BUTTON_CHAT = "8411000000000017"  # the seller wrote "Cancel order", "Send", "Submit", "No"
ASKED = (
    TITLE_CANCEL_ORDER,
    STORE_SUBMIT,
    TITLE_NO,
    STORE_NO,
    TITLE_OTHER_ORDER_ID,
    INJECTED_CARD,
    BUTTON_CHAT,
)
#: Awaiting shipment like the others (its card offers "Cancel order"); never asked for.
BYSTANDER = "8411000000000099"
#: The reason that does not penalise the seller, as the portal records it.
WRONG_PRODUCT = "I ordered the wrong product(s)"


def planted_words(portal: PortalHandle) -> dict[str, str]:
    """The portal's own control words, in its language, and "Order ID: <BYSTANDER>"."""
    words = {key: text(portal, key) for key in ("btn_cancel_order", "submit", "no", "send")}
    words["order_id_of_bystander"] = text(portal, "order_id", id=BYSTANDER)
    return words


def hostile_scenario(words: dict[str, str]) -> dict[str, Any]:
    """``awaiting_shipment``'s order copied once per hostile kind, and the bystander."""
    planted = {
        TITLE_CANCEL_ORDER: {"title": "{title} " + words["btn_cancel_order"]},
        STORE_SUBMIT: {"store": words["submit"]},
        TITLE_NO: {"title": words["no"]},
        STORE_NO: {"store": words["no"]},
        TITLE_OTHER_ORDER_ID: {"title": words["order_id_of_bystander"]},
        INJECTED_CARD: {"injected_card": True, "other": BYSTANDER},
        BUTTON_CHAT: {"chat": seller_chat(words)},
    }
    data = scenario("awaiting_shipment")
    template = data["orders"][0]
    data["orders"] = [
        {**template, "id": order_id, "store": f"Store {n}", "hostile": planted[order_id]}
        for n, order_id in enumerate(ASKED, 1)
    ]
    data["orders"].append({**template, "id": BYSTANDER, "store": "Bystander Store"})
    return data


def seller_chat(words: dict[str, str]) -> list[str]:
    """The seller's messages already in BUTTON_CHAT's thread: the portal's button words."""
    return [words[key] for key in ("btn_cancel_order", "send", "submit", "no")]


@dataclass(frozen=True)
class Outcome:
    """What the portal recorded and the CLI reported: `cancel` on day 0, `run` on day 3,
    and `status ORDER --json` of every order asked for (its history as the user reads it)."""

    words: dict[str, str]
    cancel: Result
    after_cancel: dict[str, Any]
    run: Result
    after_run: dict[str, Any]
    status: dict[str, Result]

    def shown(self, order_id: str) -> dict[str, Any]:
        """The order as the portal showed and recorded it after the `cancel`."""
        order: dict[str, Any] = self.after_cancel["orders"][order_id]
        return order

    def report(self, order_id: str, command: Result) -> dict[str, Any]:
        """The order's entry in a command's JSON report."""
        reports = [r for r in command.json() if r["order_id"] == order_id]
        assert len(reports) == 1, command
        return reports[0]


def cancel_every_hostile_order_then_follow_up(
    portal: PortalHandle, assistant: Assistant
) -> Outcome:
    """Every hostile order asked for in one `cancel`, then `run` three days later; the
    portal's records read after each command."""
    words = planted_words(portal)
    portal.reset(hostile_scenario(words))
    assistant.env.update(SHORT_PAGE_TIMEOUT)
    cancel = assistant("-v", "cancel", *ASKED, "--json")
    after_cancel = portal.state()
    portal.advance(days=3)  # every seller accepted (48 h after the request) and answered
    run = assistant("-v", "run", "--json")
    return Outcome(
        words=words,
        cancel=cancel,
        after_cancel=after_cancel,
        run=run,
        after_run=portal.state(),
        status={o: assistant.invoke("status", o, "--json") for o in ASKED},
    )


def messages(state: dict[str, Any], order_id: str, author: str) -> list[str]:
    """What the portal recorded in the order's thread from ``author`` (buyer, seller)."""
    return [m["text"] for m in state["orders"][order_id]["messages"] if m["author"] == author]


def assert_cancelled_once_then_followed_up(outcome: Outcome, order_id: str) -> None:
    """The order asked for: one request (the non-penalising reason, "No" to the report)
    and the one message its plan announced, on the portal and on no other order; the
    CLI's report says it waits for the seller. Then the follow-up, three days later."""
    report = outcome.report(order_id, outcome.cancel)
    assert (report["status"], report["error"]) == ("waiting_seller", None), report
    order = outcome.shown(order_id)
    assert order["state"] == "cancellation_requested", order
    requests = order["cancellation_requests"]
    assert len(requests) == 1, requests
    assert (requests[0]["reason"], requests[0]["report"]) == (WRONG_PRODUCT, "no"), requests
    planned = [a["message"] for a in report["plan"]["actions"] if a["kind"] == "message_seller"]
    assert len(planned) == 1 and order_id in planned[0], report["plan"]
    assert messages(outcome.after_cancel, order_id, "buyer") == planned
    elsewhere = [o for o in outcome.after_cancel["orders"] if o != order_id]
    assert not [o for o in elsewhere if planned[0] in messages(outcome.after_cancel, o, "buyer")]
    assert_followed_up(outcome, order_id)


def assert_followed_up(outcome: Outcome, order_id: str) -> None:
    """Day 3: the seller accepted and answered. The follow-up read the order (closed, the
    refund under way) and its whole thread, and did nothing more on the portal; the user
    reads every message of the seller, as the seller's, the answer last."""
    report = outcome.report(order_id, outcome.run)
    assert report["status"] in ("waiting_refund", "done_refunded"), report
    order = outcome.after_run["orders"][order_id]
    assert order["closed_reason"] == "seller_accepted", order
    assert len(order["cancellation_requests"]) == 1, order
    sent = messages(outcome.after_cancel, order_id, "buyer")
    assert messages(outcome.after_run, order_id, "buyer") == sent
    (case,) = outcome.status[order_id].json()
    seen = [e["payload"]["text"] for e in case["history"] if e["kind"] == "seller_message"]
    answered = messages(outcome.after_run, order_id, "seller")
    assert seen == answered and answered, (case, outcome.run)


def assert_untouched(state: dict[str, Any], order_id: str) -> None:
    """An order that was not asked for is as the scenario left it: no request, no
    message, no other action."""
    order = state["orders"][order_id]
    assert order["state"] == "awaiting_shipment", (order_id, order)
    assert order["cancellation_requests"] == [], (order_id, order)
    assert order["actions"] == [], (order_id, order)
    assert messages(state, order_id, "buyer") == [], (order_id, order)


# -- the hostile kinds, one check each -----------------------------------------------------


def control_word_in_a_title_or_store_name(
    outcome: Outcome, order_id: str, where: str, word: str
) -> None:
    """The portal shows one of its control words where a person sees text, not a control
    (a title, a store name); the page's own "Cancel order" and the dialog's own "Submit"
    and "No" are what is clicked."""
    planted, shown = outcome.words[word], outcome.shown(order_id)
    if where == "store":
        assert shown["store"] == planted, shown
    else:
        assert all(t == planted or t.endswith(" " + planted) for t in shown["titles"]), shown
    assert_cancelled_once_then_followed_up(outcome, order_id)


def title_reading_another_orders_id(outcome: Outcome) -> None:
    """The page says "Order ID: <its own>" in its order info and "Order ID: <BYSTANDER>"
    in every product title: the order info says which order the page is about, and the
    order asked for is acted on (the bystander never)."""
    titles = outcome.shown(TITLE_OTHER_ORDER_ID)["titles"]
    assert set(titles) == {outcome.words["order_id_of_bystander"]}, titles
    assert_cancelled_once_then_followed_up(outcome, TITLE_OTHER_ORDER_ID)
    assert_untouched(outcome.after_cancel, BYSTANDER)


def another_orders_card_on_the_detail_page(outcome: Outcome) -> None:
    """Above the order's own status the page shows BYSTANDER's card: its "Order ID:",
    status, total, "Cancel order" and "Contact seller". Only the order's own are read
    and clicked."""
    assert outcome.shown(INJECTED_CARD)["injected_card"] == BYSTANDER
    assert_cancelled_once_then_followed_up(outcome, INJECTED_CARD)
    assert_untouched(outcome.after_cancel, BYSTANDER)


def seller_messages_that_read_like_buttons(outcome: Outcome) -> None:
    """The seller's "Cancel order", "Send", "Submit", "No" were in the thread before ours:
    ours went through the message box and its own "Send", once; three days later the
    follow-up reads the whole thread (past the seller's "Send"), the four and the answer
    after ours, as the seller's."""
    sellers = messages(outcome.after_cancel, BUTTON_CHAT, "seller")
    assert sellers == seller_chat(outcome.words), sellers
    assert_cancelled_once_then_followed_up(outcome, BUTTON_CHAT)
    answered = messages(outcome.after_run, BUTTON_CHAT, "seller")
    assert answered[: len(sellers)] == sellers and len(answered) == len(sellers) + 1, answered


def nothing_done_to_an_order_not_asked_for(outcome: Outcome) -> None:
    """Both commands ended well (exit 0), and after each, every order that was not asked
    for is as the scenario left it."""
    assert outcome.cancel.returncode == 0, outcome.cancel
    assert outcome.run.returncode == 0, outcome.run
    for state in (outcome.after_cancel, outcome.after_run):
        for order_id in state["orders"]:
            if order_id not in ASKED:
                assert_untouched(state, order_id)


HOSTILE_KINDS: dict[str, Callable[[Outcome], None]] = {
    "a product title ending in 'Cancel order'": partial(
        control_word_in_a_title_or_store_name,
        order_id=TITLE_CANCEL_ORDER,
        where="title",
        word="btn_cancel_order",
    ),
    "a store named 'Submit'": partial(
        control_word_in_a_title_or_store_name, order_id=STORE_SUBMIT, where="store", word="submit"
    ),
    "a product title 'No'": partial(
        control_word_in_a_title_or_store_name, order_id=TITLE_NO, where="title", word="no"
    ),
    "a store named 'No'": partial(
        control_word_in_a_title_or_store_name, order_id=STORE_NO, where="store", word="no"
    ),
    "a product title 'Order ID: <another order>'": title_reading_another_orders_id,
    "another order's card on the detail page": another_orders_card_on_the_detail_page,
    "seller messages 'Cancel order', 'Send', 'Submit', 'No'": (
        seller_messages_that_read_like_buttons
    ),
    "all kinds together: nothing done to an order not asked for": (
        nothing_done_to_an_order_not_asked_for
    ),
}


def test_hostile_content_moves_nothing_but_the_order_asked_for(
    portal: PortalHandle, assistant: Assistant, subtests: pytest.Subtests
) -> None:
    # One `cancel` and one `run` for every kind (one browser start each, not one per
    # kind); each kind is its own order, checked and reported on its own.
    outcome = cancel_every_hostile_order_then_follow_up(portal, assistant)
    for kind, check in HOSTILE_KINDS.items():
        with subtests.test(kind):
            check(outcome)
