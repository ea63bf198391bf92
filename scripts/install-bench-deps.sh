#!/usr/bin/env bash
# Installs the compiled load generators the benchmark drives the daemon with (idempotent):
#   h2load (Debian nghttp2-client): gRPC over HTTP/2;  wrk: REST over HTTP/1.1.
# Needs root (or sudo) and Debian's package registry. benchmark_app comes with the openvino wheel.
set -euo pipefail

missing=()
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -eq 0 ]; then
    echo "h2load and wrk are installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
command -v h2load >/dev/null && command -v wrk >/dev/null
echo "installed: ${missing[*]}"
