"""The reliability soak: many seeded fault-campaign cases, then the figures.

    .venv/bin/python -m benchmarks.soak --cases 1000 --workers 2    # or benchmarks/soak.py

Each seed picks its portal (accessible, real in English, real in Spanish), so 1,000 cases
cover both skins. Prints, in all and per skin: scenarios and commands run, faults fired by
kind, kills by point, what was planned but not reached, invariant violations (must be 0),
retries, and the mean and worst recovery time; exits 1 on any violation (``--json`` for
the figures as JSON). The campaign
itself (generation, invariants) lives in tests/reliability/ and also runs in CI.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:  # run as a script: make `tests.reliability` importable
        sys.path.insert(0, root)
    from tests.reliability.campaign import main as campaign

    return campaign(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
