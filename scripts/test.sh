#!/usr/bin/env bash
# The whole check: lint, types, and the test suite (browser tests in real Chromium).
# Failure artifacts (Playwright traces, screenshots) land in artifacts/test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
VENV=${VENV:-.venv}

# The headed `login` test opens its browser window under Xvfb (Debian's xvfb).
if [ -z "${DISPLAY:-}" ] && ! command -v xvfb-run >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing xvfb (the headed login test)" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            xvfb xauth >/dev/null
    else
        echo "== no xvfb-run and no display: the headed login test is skipped" >&2
    fi
fi

# The scale-out tests start private redis-server and PostgreSQL instances (Debian's).
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
    || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing ${missing[*]} (the scale-out tests)" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    else
        echo "== no ${missing[*]}: the scale-out tests are skipped" >&2
    fi
fi

echo "== ruff" >&2
"$VENV/bin/ruff" check assistant flows mock_site tests benchmarks scripts
echo "== import contracts" >&2
"$VENV/bin/lint-imports" --no-cache
echo "== mypy" >&2
"$VENV/bin/mypy"
echo "== pytest" >&2
# No `|| true` anywhere: exit code 5 (no tests collected) must fail the run too.
"$VENV/bin/python" -m pytest -n "${PYTEST_WORKERS:-2}" \
    --tracing retain-on-failure --screenshot only-on-failure --durations 30 \
    --output artifacts/test-results "$@"
