"""Processes the benchmark starts: the ovms daemon and the floors, on free ports, stopped by PID.

Every process may be pinned to a CPU list with ``taskset`` (``cpus``). Output goes to a log file
in the work directory, shown when a process fails to start.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent  # for python -m benchmarks.floors
READY_LINE = "Server is ready"


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A started server process and its ports (``rest_port`` 0 when it has none)."""

    process: subprocess.Popen
    grpc_port: int
    rest_port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:  # noqa: PYI034 - never subclassed
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()



def _spawn(command: list[str], log: Path, cpus: str | None) -> subprocess.Popen:
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    with open(log, "wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)


def start_daemon(config: Path, workdir: Path, cpus: str | None = None, flags: tuple[str, ...] = (),
                 timeout: float = 300.0) -> Server:
    """``ovms --config_path config [flags]`` on free gRPC and REST ports; waits for "Server is ready"."""
    grpc_port, rest_port = free_port(), free_port()
    log = workdir / "ovms.log"
    command = [sys.executable, "-m", "ovms", "--config_path", str(config), "--port", str(grpc_port),
               "--rest_port", str(rest_port), "--grpc_bind_address", HOST, "--rest_bind_address", HOST, *flags]
    server = Server(_spawn(command, log, cpus), grpc_port, rest_port, log)
    _wait(server, lambda: READY_LINE in log.read_text(errors="replace"), timeout)
    return server


def start_floor(kind: str, response: bytes, headers: tuple[tuple[str, str], ...], workdir: Path,
                cpus: str | None = None, timeout: float = 30.0, delay_ms: float = 0.0) -> Server:
    """A floor server (``benchmarks.floors``) answering ``response``; waits until it accepts.

    ``delay_ms``: gRPC answers wait that long, one at a time (``floors --delay-ms``)."""
    port = free_port()
    body = workdir / f"floor-{kind}-{port}.bin"
    body.write_bytes(response)
    command = [sys.executable, "-m", "benchmarks.floors", kind, "--port", str(port), "--response", str(body)]
    for name, value in headers:
        command += ["--header", f"{name}={value}"]
    if delay_ms:
        command += ["--delay-ms", str(delay_ms)]
    log = workdir / f"floor-{kind}-{port}.log"
    process = _spawn(command, log, cpus)
    server = Server(process, port if kind == "grpc" else 0, port if kind == "rest" else 0, log)
    _wait(server, lambda: _accepts(port), timeout)
    return server


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def _wait(server: Server, ready, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ready():
            return
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.log.name}: exited with {server.process.returncode}:\n"
                               f"{server.log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.05)
    server.stop()
    raise TimeoutError(f"{server.log.name}: not ready within {timeout}s")
