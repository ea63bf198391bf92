"""Start the real ``ovms`` process on free ports for end-to-end tests, and stop it by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

READY_LINE = "Server is ready"
START_TIMEOUT = 60.0


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Daemon:
    """A running ``ovms`` child process and where it listens."""

    process: subprocess.Popen
    grpc_port: int
    rest_port: int
    log_path: Path

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = START_TIMEOUT) -> None:
        """Wait until ``text`` appears in the daemon's output; fail if it exits first."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.log():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"ovms exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise TimeoutError(f"'{text}' not logged within {timeout}s:\n{self.log()}")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, wait, return the exit code (kills the process only if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode


def start_daemon(args: list[str], log_dir: Path, env: dict[str, str] | None = None,
                 wait_ready: bool = True) -> Daemon:
    """Run ``ovms`` with ``args`` plus free --port/--rest_port, bound to 127.0.0.1."""
    grpc_port, rest_port = free_port(), free_port()
    log_path = log_dir / f"ovms-{grpc_port}.log"
    command = [
        sys.executable, "-m", "ovms", *args,
        "--port", str(grpc_port), "--rest_port", str(rest_port),
        "--grpc_bind_address", "127.0.0.1", "--rest_bind_address", "127.0.0.1",
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    daemon = Daemon(process, grpc_port, rest_port, log_path)
    if wait_ready:
        try:
            daemon.wait_for_log(READY_LINE)
        except BaseException:
            daemon.stop()
            raise
    return daemon
