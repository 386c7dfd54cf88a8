"""What the flow tests share besides their fixtures: the portal factory's type, the reasons."""

from __future__ import annotations

from collections.abc import Callable

from flows.portal import Portal

#: The ``make_portal`` fixture: builds a ``flows.portal.Portal`` (closed after the test).
MakePortal = Callable[..., Portal]

#: The reasons the policy would offer, in order of preference (as in assistant.domain.models).
REASONS = ("I ordered the wrong product(s)", "I ordered the wrong item", "Other reason(s)")
