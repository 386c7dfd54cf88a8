"""What the test packages share, imported as ``tests.support.<module>`` (never a conftest).

- ``cli``: the one way to run ``order-assistant``: ``invoke`` in-process (usage, bad input,
  read-only commands), ``Assistant`` / ``run_cli`` as a subprocess (browsers, signals,
  kills, locks), one time-out policy, one ``Result``;
- ``orders``: the order numbers of the bundled scenarios, by name;
- ``scenarios``: a bundled scenario as a dict to change before ``portal.reset(...)``.
"""
