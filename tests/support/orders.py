"""The order numbers the tests use, named for what they are in the bundled scenarios.

Each number is declared here once; a test imports the name, so a reader sees which order
of which scenario it means, and a change of scenario data changes one line.
"""

from __future__ import annotations

#: The first order of every single-order scenario, in the state the scenario is named
#: after (``awaiting_shipment``, ``shipped``...); in ``demo`` it awaits payment.
SCENARIO_ORDER = "8211279521850032"
#: The same number in the ``demo`` scenario: an unpaid order, cancelled at once.
DEMO_UNPAID = SCENARIO_ORDER
#: Second and third orders of the multi-order scenarios (``guide_reasons``, ``nuisances``,
#: ``login_extras``), and the orders tests add for a second account.
SECOND_ORDER = "8211279521850049"
THIRD_ORDER = "8211279521850056"
#: The ``demo`` account's paid orders awaiting shipment, with sellers that accept,
#: reject, ignore, ship, and accept quickly (in this order).
DEMO_AWAITING_SHIPMENT = (
    "8211279521853383",
    "8211279521854500",
    "8211279521855617",
    "8211279521856734",
    "8211279521857851",
)
#: A paid ``demo`` order awaiting shipment whose seller accepts.
DEMO_PAID = DEMO_AWAITING_SHIPMENT[0]
#: The one of them whose seller rejects the cancellation.
DEMO_SELLER_REJECTS = DEMO_AWAITING_SHIPMENT[1]
#: ``other@example.com``'s order in ``demo``, awaiting shipment.
OTHER_ACCOUNT_ORDER = "8300000000000101"
#: A well-formed number that no scenario holds.
UNKNOWN_ORDER = "8211279521859999"
