#!/usr/bin/env bash
# Set up everything on a fresh machine: virtual environment, the project, a browser.
# Idempotent and fast on re-runs: nothing is reinstalled unless pyproject.toml changed.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

say() { printf '[setup] %s\n' "$*" >&2; }

# 1. Python >= 3.11 and a virtual environment.
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1 || echo none))."
    say "Install it, or run with PYTHON=/path/to/python3.11."
    exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
fi

# 2. The project with the mock portal and the test tools, only when pyproject.toml changed.
stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    say "installing the project (pip install -e '.[test,mock]')"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test,mock]'
    rm -f "$VENV"/.installed-*
    touch "$stamp"
fi

# 3. A browser: explicit setting, system Chromium, apt-get as root, Playwright's download.
have_system_chromium() {
    for name in chromium chromium-browser google-chrome google-chrome-stable chrome; do
        command -v "$name" >/dev/null 2>&1 && return 0
    done
    return 1
}
if [ -n "${ORDER_ASSISTANT_BROWSER:-}" ]; then
    say "using ORDER_ASSISTANT_BROWSER=$ORDER_ASSISTANT_BROWSER"
elif have_system_chromium; then
    :
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "no Chromium found: installing Debian's chromium with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
elif "$VENV/bin/python" -m playwright install chromium; then
    say "using Playwright's own Chromium"
else
    say "no Chromium found and none could be installed."
    say "Install Chromium or Chrome, or set ORDER_ASSISTANT_BROWSER=/path/to/chromium."
    exit 2
fi
