"""What a test expects of one mock-portal skin: its URLs and JSON calls, and its texts.

The flow tests run on every skin (``tests.support.portal.ALL_SKINS``); what the user sees
is the same, but the URLs, the list's JSON call and page size, and (on "real-es") the
language differ. The paths are written out here as docs/portal-ui.md states them, so a
test still fails when a skin serves another URL; the texts are the skin's locale file
(``mock_site/locales/<locale>.json``), the one source the pages draw them from.
"""

from __future__ import annotations

from mock_site.real import Locale, locale
from tests.support.portal import Server

#: Per skin: the order detail page, the order's message thread (as the page links them),
#: the orders list's JSON call (its path) and how many cards one call loads.
_DETAIL = {
    "accessible": "/orders/{order_id}",
    "real": "/p/order/detail.html?orderId={order_id}",
}
_MESSAGES = {
    "accessible": "/p/message/index.html?fromCode=order&orderId={order_id}",
    "real": "/p/message/index.html?fromCode=order&orderId={order_id}&bizContext=orderDetail",
}
_LIST_API = {
    "accessible": "/api/orders",
    "real": "/h5/mtop.aliexpress.trade.buyer.order.list/1.0/",
}
_LIST_PAGE = {"accessible": 10, "real": 5}


def detail_path(portal: Server, order_id: str) -> str:
    """The order's detail page (path and query) on the portal's skin."""
    return _DETAIL[portal.skin].format(order_id=order_id)


def messages_path(portal: Server, order_id: str) -> str:
    """The order's message thread, as its detail page links it, on the portal's skin."""
    return _MESSAGES[portal.skin].format(order_id=order_id)


def list_api_path(portal: Server) -> str:
    """The path of the JSON call that loads the orders list's cards."""
    return _LIST_API[portal.skin]


def list_page_size(portal: Server) -> int:
    """How many cards one list call (the first, then each "View orders") loads."""
    return _LIST_PAGE[portal.skin]


def _locale(portal: Server) -> Locale:
    return locale(portal.locale)


def text(portal: Server, key: str, **values: str) -> str:
    """A page text of the portal's locale by its key (``texts`` of the locale file)."""
    return _locale(portal).t(key, **values)


def status_label(portal: Server, english: str) -> str:
    """A status label ("Awaiting shipment", as the control API's ``label``) as shown."""
    english_texts = locale("en").texts
    [key] = [k for k, v in english_texts.items() if k.startswith("status_") and v == english]
    return text(portal, key)


def message(portal: Server, english: str) -> str:
    """A message of the portal ("Your account name or password is incorrect.") as shown."""
    return _locale(portal).msg(english)


def reason(portal: Server, english: str) -> str:
    """A cancellation reason (the scenario's English wording) as the portal offers it."""
    return _locale(portal).reason(english)
