"""`probe`: a read-only check of every page the flows use, on the three portals."""

from __future__ import annotations

import pytest

from flows.probe import STEPS, probe
from flows.profile import load_profile
from mock_site.pytest_plugin import PortalHandle
from tests.support.flows import MakePortal
from tests.support.orders import SCENARIO_ORDER
from tests.support.portal import ALL_SKINS, set_faults
from tests.support.skins import text

ON_ALL_SKINS = pytest.mark.parametrize("portal_skin", ALL_SKINS)


@ON_ALL_SKINS
@pytest.mark.scenario("awaiting_shipment")
def test_probe_finds_every_element_and_changes_nothing(
    portal: PortalHandle, make_portal: MakePortal
) -> None:
    before = portal.order_state(SCENARIO_ORDER)

    report = probe(make_portal(profile=load_profile(), signed_in=False))

    assert report.ok, report.missing
    assert [s.name for s in report.steps] == list(STEPS)
    assert report.order_id == SCENARIO_ORDER
    after = portal.order_state(SCENARIO_ORDER)
    assert after == before  # nothing submitted, nothing sent
    assert portal.state()["requests"].get("cancel", 0) == 0


@ON_ALL_SKINS
@pytest.mark.scenario("awaiting_shipment")
def test_probe_names_a_renamed_button(portal: PortalHandle, make_portal: MakePortal) -> None:
    renamed = text(portal, "btn_contact_seller")  # "Contact seller" in the portal's language
    set_faults(portal, [{"path": ".*", "replace": {renamed: "Chat now"}}])

    report = probe(make_portal(profile=load_profile()))

    assert not report.ok
    [detail] = [s for s in report.steps if s.name == "order detail"]
    assert any(renamed in missing for missing in detail.missing), detail
