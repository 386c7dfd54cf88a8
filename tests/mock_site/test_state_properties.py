"""Properties of the state machine under random buyer actions and clock jumps."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mock_site_client import Buyer, scenario_data

from mock_site.scenario import OrderState, load_scenario, parse_scenario
from mock_site.state import SELLER_DEADLINE, Portal

DEMO = load_scenario("demo")
IDS = [o.id for o in DEMO.orders]
ACTION = st.one_of(
    st.tuples(st.just("advance"), st.floats(min_value=0, max_value=24 * 20)),
    st.tuples(st.just("cancel"), st.sampled_from(IDS)),
    st.tuples(st.just("message"), st.sampled_from(IDS)),
    st.tuples(st.sampled_from(["pay", "confirm", "extend", "delete"]), st.sampled_from(IDS)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ACTION, max_size=12))
def test_invariants_hold_after_any_sequence(actions):
    portal = Portal(DEMO)
    for kind, arg in actions:
        if kind == "advance":
            portal.advance(timedelta(hours=arg))
        elif kind == "cancel":
            portal.request_cancel(portal.orders[arg], "Other reason(s)", "no")
        elif kind == "message":
            portal.send_message(portal.orders[arg], "Please do not ship.")
        else:
            portal.simple_action(portal.orders[arg], kind)
    portal.settle()
    for rec in portal.orders.values():
        if rec.state == OrderState.CLOSED:
            assert rec.closed_at is not None and rec.closed_reason is not None
            assert rec.closed_at <= portal.now
        if rec.state == OrderState.CANCELLATION_REQUESTED:
            assert rec.requested_at is not None
            assert portal.now < rec.requested_at + SELLER_DEADLINE
        steps = portal.refund_steps(rec)
        if steps is not None:
            done = [s is not None for s in steps]
            assert done == sorted(done, reverse=True)  # the done steps are a prefix
        accepted = [r for r in rec.requests("cancel") if r.accepted]
        assert len([r for r in accepted if not r.data.get("preexisting")]) <= 1
        if portal.cancel_refusal(rec) is None:
            assert rec.state in (
                OrderState.AWAITING_PAYMENT,
                OrderState.PAYMENT_VERIFYING,
                OrderState.AWAITING_SHIPMENT,
            )


def test_platform_coupon_shared_with_another_order_comes_back_only_with_it():
    data = scenario_data("closed_refunding")
    other = dict(data["orders"][0], id="8211279521850049", state="awaiting_shipment")
    other["seller"] = {"on_cancel": "accept", "answer_after_hours": 48}
    for key in ("closed_reason", "closed_at"):
        other.pop(key)
    data["orders"][0]["coupons"]["platform"]["shared_with"] = [other["id"]]
    data["orders"].append(other)
    buyer = Buyer(parse_scenario(data).model_dump(mode="json"))
    buyer.login()
    page = buyer.page("/orders/8211279521850032?tab=payment")
    assert "Platform coupon: not returned (other items paid with this coupon" in page
    buyer.portal.request_cancel(buyer.portal.orders[other["id"]], "Other reason(s)", "no")
    buyer.advance(days=2)  # its seller accepts after 48 h
    assert "Platform coupon: returned" in buyer.page("/orders/8211279521850032?tab=payment")


def test_command_line_refuses_an_unknown_scenario(capsys):
    from mock_site.__main__ import main

    assert main(["--scenario", "no-such-scenario"]) == 2
    assert "no such scenario" in capsys.readouterr().err
