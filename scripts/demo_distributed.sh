#!/usr/bin/env bash
# The distributed demo: Redis, PostgreSQL, two queue workers and the mock portal, locally.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
# Debian's redis-server and PostgreSQL, when missing and we may install them.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
    || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[demo] installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi
"$VENV/bin/python" scripts/demo_distributed.py
