#!/usr/bin/env bash
# Install the test dependencies that pip cannot: Azurite (npm), the Azure Storage emulator used by the
# cloud-storage tests. It goes into tools/node/node_modules (pinned by tools/node/package-lock.json)
# and runs with the machine's Node. Idempotent: does nothing when the pinned version is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_DIR=tools/node
if ! command -v npm >/dev/null 2>&1; then
    echo "install-test-deps: npm (Node >= 18) is required for Azurite; install Node first" >&2
    exit 1
fi
installed="$NODE_DIR/node_modules/.package-lock.json"
if [ -x "$NODE_DIR/node_modules/.bin/azurite-blob" ] && [ "$installed" -nt "$NODE_DIR/package-lock.json" ]; then
    exit 0
fi
npm ci --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error
