"""`probe`: a read-only check of every page the flows use, on the three portals."""

from __future__ import annotations

from typing import Any

import pytest

from flows.probe import STEPS, probe
from flows.profile import load_profile
from mock_site.faults import Fault
from mock_site.pytest_plugin import PortalHandle
from tests.support.flows import MakePortal
from tests.support.portal import ALL_SKINS

ON_ALL_SKINS = pytest.mark.parametrize("portal_skin", ALL_SKINS)
CONTACT = {"en": "Contact seller", "es": "Contactar con el vendedor"}


def install_faults(portal: PortalHandle, faults: list[dict[str, Any]]) -> None:
    state = portal.server.portal
    with state.lock:
        state.faults = [Fault.model_validate(f).model_dump() for f in faults]


@ON_ALL_SKINS
@pytest.mark.scenario("awaiting_shipment")
def test_probe_finds_every_element_and_changes_nothing(
    portal: PortalHandle, make_portal: MakePortal
) -> None:
    before = portal.order_state("8211279521850032")

    report = probe(make_portal(profile=load_profile(), signed_in=False))

    assert report.ok, report.missing
    assert [s.name for s in report.steps] == list(STEPS)
    assert report.order_id == "8211279521850032"
    after = portal.order_state("8211279521850032")
    assert after == before  # nothing submitted, nothing sent
    assert portal.state()["requests"].get("cancel", 0) == 0


@ON_ALL_SKINS
@pytest.mark.scenario("awaiting_shipment")
def test_probe_names_a_renamed_button(portal: PortalHandle, make_portal: MakePortal) -> None:
    renamed = CONTACT[portal.locale]
    install_faults(portal, [{"path": ".*", "replace": {renamed: "Chat now"}}])

    report = probe(make_portal(profile=load_profile()))

    assert not report.ok
    [detail] = [s for s in report.steps if s.name == "order detail"]
    assert any(renamed in missing for missing in detail.missing), detail
