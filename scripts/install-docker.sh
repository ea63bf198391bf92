#!/usr/bin/env bash
# Install what the Docker tests need: Debian's docker.io (dockerd, containerd, runc, the client)
# and debootstrap (to make the base image locally: no image registry is reachable here).
# Idempotent: does nothing when both are already installed. Starts no service: the test fixture
# starts dockerd itself and stops it by PID (tests/docker/dockerd.py).
# Exit codes: 0 ready; 2 cannot install here (not root or no apt-get) -> the tests skip with a reason.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have dockerd && have debootstrap; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! have apt-get; then
    echo "install-docker.sh: dockerd/debootstrap missing and cannot apt-get install them (need root and apt-get)" >&2
    exit 2
fi

# Keep the package's init scripts from starting a daemon during installation (as in container
# builds); only the test fixture starts dockerd, with its own flags, and stops it again.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
fi
trap 'if [ -n "$made_policy" ]; then rm -f "$policy"; fi' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null
echo "install-docker.sh: installed $(dpkg-query -W -f='docker.io ${Version}, ' docker.io)$(dpkg-query -W -f='debootstrap ${Version}' debootstrap)"
