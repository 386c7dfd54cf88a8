"""A request the portal never answers (a `hang` fault): the command gives up within its
time-outs and says so, instead of waiting forever, and the next run finishes the order once.

Found by the 1,000-scenario soak (seeds 5130, 5134, 5145, each a command killed after
240 s): with the page still navigating to the unanswered submit or page load,
Playwright's ``is_visible`` and ``page.content()`` wait for the navigation without a
time-out, so the look for an anti-bot check and the HTML evidence after the failure hung.
"""

from __future__ import annotations

import pytest

from mock_site.pytest_plugin import PortalHandle
from tests.support.cli import SHORT_PAGE_TIMEOUT, Assistant
from tests.support.orders import SCENARIO_ORDER
from tests.support.portal import buyer_messages, order_state, requests_of, set_faults

pytestmark = [
    pytest.mark.browser,
    pytest.mark.scenario("awaiting_shipment"),
    pytest.mark.parametrize("portal_skin", ["accessible", "real"]),
]

#: The request that submits, per skin: a form post, or the real skin's JSON call.
SUBMIT = {"accessible": {"path": r"/cancel$"}, "real": {"api": "operation"}}


def test_a_submit_the_portal_never_answers_fails_for_now_and_the_next_run_finishes(
    portal: PortalHandle, assistant: Assistant
) -> None:
    unanswered = {**SUBMIT[portal.skin], "method": "POST", "hang": True, "times": 1}
    set_faults(portal, [{**unanswered, "when": "before"}])

    first = assistant("cancel", SCENARIO_ORDER, "--json", **SHORT_PAGE_TIMEOUT)

    assert first.returncode == 3, first  # failed for now: not hung until killed
    assert requests_of(portal, SCENARIO_ORDER) == []  # the portal never took it
    again = assistant("run", "--json", **SHORT_PAGE_TIMEOUT)
    assert again.returncode == 0, again
    assert len(requests_of(portal, SCENARIO_ORDER)) == 1, order_state(portal, SCENARIO_ORDER)
    assert len(buyer_messages(portal, SCENARIO_ORDER)) == 1
