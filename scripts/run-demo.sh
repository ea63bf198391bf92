#!/usr/bin/env bash
# Set up and start the daemon on the bundled demo repository (gRPC 9000, REST 8000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
exec .venv/bin/ovms --config_path config/config.json --port 9000 --rest_port 8000 "$@"
