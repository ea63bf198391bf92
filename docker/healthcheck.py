"""Docker HEALTHCHECK: exit 0 when ``GET /v2/health/ready`` on the daemon's REST port answers 200.

The port is ``$OVMS_REST_PORT`` when set, else the ``--rest_port`` the running ``ovms`` was started
with (read from /proc, so ``docker run IMAGE ... --rest_port 8080`` needs no extra setting), else 8000.
Only the standard library: the image carries no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

DEFAULT_PORT = "8000"


def flag_value(argv: list[str], name: str) -> str | None:
    """The value of ``--name VALUE`` or ``--name=VALUE`` in ``argv``."""
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def daemon_argv() -> list[str]:
    """Command line of the ``ovms`` process in this container (PID 1 unless run with --init)."""
    for proc in sorted(Path("/proc").glob("[0-9]*"), key=lambda p: int(p.name)):
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(Path(arg).name == "ovms" or arg == "ovms" for arg in argv[:2]):
            return argv
    return []


def main() -> int:
    argv = daemon_argv()
    port = os.environ.get("OVMS_REST_PORT") or flag_value(argv, "--rest_port") or DEFAULT_PORT
    if port == "0":
        return 0  # REST is off: nothing to probe here, gRPC health is the orchestrator's business.
    host = (flag_value(argv, "--rest_bind_address") or "").split(",")[0]
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/v2/health/ready", timeout=4) as response:
            return 0 if response.status == 200 else 1
    except Exception as error:  # noqa: BLE001 - any failure means "unhealthy"
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
