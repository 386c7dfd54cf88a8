"""Messaging the seller: sent once, in the portal's thread, never twice."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect

from flows.profile import PortalProfile
from mock_site.pytest_plugin import PortalHandle
from tests.support.flows import MakePortal
from tests.support.orders import SCENARIO_ORDER
from tests.support.skins import messages_path, text

TEXT = "Hello, I asked to cancel this order. Please do not ship it. Thank you!"


def buyer_messages(portal: PortalHandle, order_id: str = SCENARIO_ORDER) -> list[str]:
    return [m["text"] for m in portal.order_state(order_id)["messages"] if m["author"] == "buyer"]


@pytest.mark.scenario("awaiting_shipment")
def test_message_is_sent_once_and_shows_in_the_thread(
    portal: PortalHandle, make_portal: MakePortal
) -> None:
    made = make_portal()
    sent_hooks: list[None] = []

    assert made.send_message(SCENARIO_ORDER, TEXT, before_send=lambda: sent_hooks.append(None))

    assert buyer_messages(portal) == [TEXT]
    assert len(sent_hooks) == 1
    expect(made.page.get_by_text(TEXT, exact=True)).to_have_count(1)  # shown in the thread, once
    [message] = [m for m in made.read_messages(SCENARIO_ORDER) if m.from_buyer]
    assert (message.author, message.text) == (text(portal, "you"), TEXT)
    recorded = portal.order_state(SCENARIO_ORDER)["messages"][0]
    assert message.at == datetime.fromisoformat(recorded["time"])


@pytest.mark.scenario("awaiting_shipment")
def test_same_message_is_not_sent_again(portal: PortalHandle, make_portal: MakePortal) -> None:
    assert make_portal().send_message(SCENARIO_ORDER, TEXT)
    portal.advance(hours=7)  # the seller's scripted reply arrives after 6 hours

    # A later run, in a new browser: the text is already in the thread.
    again = make_portal()
    assert not again.send_message(SCENARIO_ORDER, "  " + TEXT.replace(" ", "  ") + "\n")

    assert buyer_messages(portal) == [TEXT]
    assert portal.state()["requests"]["message"] == 1
    authors = [m.author for m in again.read_messages(SCENARIO_ORDER)]
    assert authors == [text(portal, "you"), "Sunrise Electronics Store"]


@pytest.mark.scenario("awaiting_shipment")
def test_thread_found_through_the_order_page_link(
    portal: PortalHandle, make_portal: MakePortal, links_only_profile: PortalProfile
) -> None:
    made = make_portal(profile=links_only_profile)

    assert made.send_message(SCENARIO_ORDER, TEXT)

    assert buyer_messages(portal) == [TEXT]
    expect(made.page).to_have_url(portal.url + messages_path(portal, SCENARIO_ORDER))
