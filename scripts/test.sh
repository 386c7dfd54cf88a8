#!/usr/bin/env bash
# The whole check: lint, types, and the test suite (browser tests in real Chromium).
# Failure artifacts (Playwright traces, screenshots) land in artifacts/test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
VENV=${VENV:-.venv}

echo "== ruff" >&2
"$VENV/bin/ruff" check assistant flows mock_site tests benchmarks
echo "== import contracts" >&2
"$VENV/bin/lint-imports" --no-cache
echo "== mypy" >&2
"$VENV/bin/mypy"
echo "== pytest" >&2
# No `|| true` anywhere: exit code 5 (no tests collected) must fail the run too.
"$VENV/bin/python" -m pytest -n "${PYTEST_WORKERS:-2}" \
    --tracing retain-on-failure --screenshot only-on-failure \
    --output artifacts/test-results "$@"
