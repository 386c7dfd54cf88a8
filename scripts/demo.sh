#!/usr/bin/env bash
# The main job: check the browser, then run the assistant against the bundled mock portal.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
"$VENV/bin/order-assistant" doctor
"$VENV/bin/python" scripts/demo.py
