"""Cookie banner, promo pop-up, chat bubble, loading overlay and slow pages all on."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect

from assistant.domain.models import OrderStatus
from mock_site.pytest_plugin import PortalHandle
from tests.support.flows import REASONS, MakePortal
from tests.support.orders import SCENARIO_ORDER
from tests.support.skins import text

TEXT = "Hello, I asked to cancel this order. Please do not ship it."


@pytest.mark.scenario("nuisances")
def test_read_cancel_and_message_with_every_nuisance_on(
    portal: PortalHandle, make_portal: MakePortal, now: datetime
) -> None:
    made = make_portal(signed_in=False)  # the sign-in pages have the nuisances too

    order = made.read_order(SCENARIO_ORDER, now)
    result = made.cancel(
        SCENARIO_ORDER,
        reasons=REASONS,
        report_supplier=False,
        now=now,
        before_submit=lambda _: None,
    )
    sent = made.send_message(SCENARIO_ORDER, TEXT)

    assert order.status is OrderStatus.AWAITING_SHIPMENT
    assert result.submitted and result.order.status is OrderStatus.CANCELLATION_REQUESTED
    assert sent
    recorded = portal.order_state(SCENARIO_ORDER)
    [request] = recorded["cancellation_requests"]
    assert (request["reason"], request["report"]) == ("I ordered the wrong product(s)", "no")
    assert [m["text"] for m in recorded["messages"] if m["author"] == "buyer"] == [TEXT]
    # The nuisances were there and were dismissed by the handlers, not avoided (on every
    # skin: the consent cookie, the pop-up's "closed in this tab" mark, the chat folded).
    page = made.page
    assert "cookie_consent" in {c["name"] for c in made.context.cookies()}
    assert page.evaluate("() => sessionStorage.getItem('promo_closed')") == "1"
    expect(page.get_by_text(text(portal, "promo_title"))).to_be_hidden()
    chat = page.locator('[data-nuisance="chat"]')
    expect(chat).to_be_visible()  # still there, folded to its button
    expect(chat.get_by_text(text(portal, "chat_text"))).to_be_hidden()
