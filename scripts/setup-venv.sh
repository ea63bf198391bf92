#!/usr/bin/env bash
# Create (or reuse) .venv and install ovms-py into it; with "test", also the test clients.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
extra=""
[ "${1:-}" = "test" ] && extra="[test]"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${extra}"
if [ "${1:-}" = "test" ]; then bash scripts/install-test-deps.sh; fi
