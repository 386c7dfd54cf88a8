"""Finding orders: by number (URL or the page's own search and links), and the whole list."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from assistant.domain.errors import OrderNotFoundError
from assistant.domain.models import OrderStatus
from flows.profile import PortalProfile
from mock_site.pytest_plugin import PortalHandle
from tests.support.flows import MakePortal
from tests.support.orders import OTHER_ACCOUNT_ORDER, UNKNOWN_ORDER
from tests.support.skins import detail_path, list_api_path, list_page_size, status_label


def buyer_orders(portal: PortalHandle) -> dict[str, dict[str, object]]:
    orders: dict[str, dict[str, object]] = portal.state()["orders"]
    return {k: v for k, v in orders.items() if v["account"] == portal.email and not v["deleted"]}


def oldest_order(portal: PortalHandle) -> str:
    """The last card of the list: several "View orders" loads away from the first page."""
    return min(portal.scenario.orders, key=lambda o: o.placed_at).id


@pytest.mark.parametrize(
    ("order_id", "links_only"),
    [(UNKNOWN_ORDER, False), (OTHER_ACCOUNT_ORDER, False), (OTHER_ACCOUNT_ORDER, True)],
    ids=["unknown-by-url", "other-account-by-url", "other-account-by-links"],
)
def test_order_not_in_the_account_is_not_found(
    order_id: str,
    links_only: bool,
    portal: PortalHandle,
    make_portal: MakePortal,
    links_only_profile: PortalProfile,
    now: datetime,
) -> None:
    made = make_portal(profile=links_only_profile) if links_only else make_portal()

    with pytest.raises(OrderNotFoundError) as raised:
        made.read_order(order_id, now)

    assert order_id in str(raised.value) and portal.email in str(raised.value)
    assert raised.value.order_id == order_id


def test_deep_order_found_through_search_and_links(
    portal: PortalHandle,
    make_portal: MakePortal,
    links_only_profile: PortalProfile,
    now: datetime,
) -> None:
    order_id = oldest_order(portal)
    made = make_portal(profile=links_only_profile)

    order = made.read_order(order_id, now)

    assert order.order_id == order_id
    assert order.status.value == portal.order_state(order_id)["state"]
    expect(made.page).to_have_url(portal.url + detail_path(portal, order_id))


def test_list_orders_loads_every_card(portal: PortalHandle, make_portal: MakePortal) -> None:
    expected = buyer_orders(portal)
    assert len(expected) > 30
    made = make_portal()
    api, size = list_api_path(portal), list_page_size(portal)
    loads: list[str] = []
    made.page.on("request", lambda r: loads.append(r.url) if urlsplit(r.url).path == api else None)

    summaries = made.list_orders()

    assert sorted(s.order_id for s in summaries) == sorted(expected)
    assert len(loads) == -(-len(expected) // size)  # `size` cards per load: "View orders" pressed
    for summary in summaries:
        label = str(expected[summary.order_id]["label"])  # the control API's, in English
        assert summary.status_label == status_label(portal, label)
        assert summary.status not in (None, OrderStatus.UNKNOWN)
    dates = [s.order_date for s in summaries if s.order_date is not None]
    assert len(dates) == len(summaries) and dates == sorted(dates, reverse=True)  # newest first
