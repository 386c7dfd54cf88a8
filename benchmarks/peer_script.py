"""The plain-script peer (issue 16): what an automation engineer would write instead.

The same clicks on the portal as ``order-assistant cancel ID`` (sign in; request the
cancellation with "I ordered the wrong product(s)" and "No" to the report, then a message
to the seller; or the instant cancel of an unpaid order), with no journal, no policy, no
verification, no retries, no tracing: the floor a browser flow is judged against.

    python benchmarks/peer_script.py --portal URL --skin accessible|real --order ID \
        --kind request|instant   # credentials from PEER_USERNAME / PEER_PASSWORD

It is deliberately one file, one skin per function, Playwright only.
"""

from __future__ import annotations

import argparse
import os

from playwright.sync_api import Page, sync_playwright

REASON = "I ordered the wrong product(s)"
MESSAGE = "Hello, I asked to cancel this order. Please accept the cancellation and do not ship it."


def accessible(page: Page, portal: str, order: str, kind: str) -> None:
    page.goto(f"{portal}/orders/{order}")
    page.get_by_label("Email or phone number").fill(os.environ["PEER_USERNAME"])
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(os.environ["PEER_PASSWORD"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Cancel order").click()
    if kind == "request":
        page.get_by_role("button", name="Request order cancellation").click()
    page.get_by_role("combobox").select_option(label=REASON)
    page.get_by_role("button", name="Submit").click()
    if kind == "request":
        page.get_by_role("button", name="No", exact=True).click()
        page.get_by_text("Awaiting cancellation").first.wait_for()
        page.goto(f"{portal}/p/message/index.html?fromCode=order&orderId={order}")
        page.get_by_placeholder("Type a message").fill(MESSAGE)
        page.get_by_role("button", name="Send").click()
        page.get_by_text(MESSAGE).first.wait_for()
    else:
        page.get_by_text("Canceled").first.wait_for()


def real(page: Page, portal: str, order: str, kind: str) -> None:
    page.goto(f"{portal}/p/order/detail.html?orderId={order}")
    page.get_by_placeholder("Email or phone number").fill(os.environ["PEER_USERNAME"])
    page.get_by_role("button", name="Continue").click()
    page.get_by_placeholder("Password").fill(os.environ["PEER_PASSWORD"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Cancel order", exact=True).first.click()
    if kind == "request":
        page.get_by_text("Request order cancellation", exact=True).click()
    page.get_by_text("Select here", exact=True).click()
    page.get_by_text(REASON, exact=True).click()
    page.get_by_text("Submit", exact=True).click()
    if kind == "request":
        page.get_by_text("No", exact=True).click()
        page.get_by_text("Awaiting cancellation").first.wait_for()
        page.goto(
            f"{portal}/p/message/index.html?fromCode=order&orderId={order}&bizContext=orderDetail"
        )
        page.get_by_placeholder("Please enter your message").fill(MESSAGE)
        page.get_by_text("Send", exact=True).click()
        page.get_by_text(MESSAGE).first.wait_for()
    else:
        page.get_by_text("Canceled").first.wait_for()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--portal", required=True)
    parser.add_argument("--skin", choices=["accessible", "real"], required=True)
    parser.add_argument("--order", required=True)
    parser.add_argument("--kind", choices=["request", "instant"], required=True)
    args = parser.parse_args()
    flags = ["--disable-background-networking", "--disable-component-update"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("PEER_BROWSER") or None, args=flags
        )
        page = browser.new_page()
        flow = accessible if args.skin == "accessible" else real
        flow(page, args.portal.rstrip("/"), args.order, args.kind)
        browser.close()


if __name__ == "__main__":
    main()
