"""Run the image as a container on host networking, on free ports, and stop it with SIGTERM."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.docker.dockerhost import REPO, DockerHost
from tests.e2e.daemon import free_port

START_TIMEOUT = 90.0


@dataclass
class Container:
    """A running ``ovms`` container and where it listens on 127.0.0.1."""

    host: DockerHost
    name: str
    grpc_port: int
    rest_port: int

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    def state(self, field: str) -> str:
        return self.host.output("inspect", "--format", f"{{{{{field}}}}}", self.name)

    def logs(self) -> str:
        result = self.host.run("logs", self.name, check=False)
        return (result.stdout + result.stderr).decode(errors="replace")

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Until ``/v2/health/ready`` answers 200; fails early if the container exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.rest_url}/v2/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.state(".State.Running") != "true":
                raise RuntimeError(f"container exited {self.state('.State.ExitCode')}:\n{self.logs()}")
            time.sleep(0.2)
        raise TimeoutError(f"not ready within {timeout}s:\n{self.logs()}")

    def wait_health(self, status: str, timeout: float = 60.0) -> None:
        """Until Docker's HEALTHCHECK verdict is ``status``."""
        deadline = time.monotonic() + timeout
        while self.state(".State.Health.Status") != status:
            if time.monotonic() > deadline:
                raise TimeoutError(f"health not {status!r}: {self.state('json .State.Health')}")
            time.sleep(0.3)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM to the daemon (PID 1); the exit code ``docker wait`` reports."""
        self.host.run("kill", "--signal", "TERM", self.name)
        return int(self.host.output("wait", self.name, timeout=timeout))

    def remove(self) -> None:
        self.host.run("rm", "--force", self.name, check=False)


def set_flag(args: list[str], flag: str, value: str) -> list[str]:
    """``args`` with ``flag`` set to ``value``: an existing ``--flag=V`` / ``--flag V`` is replaced."""
    out: list[str] = []
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
        elif arg.startswith(flag + "="):
            continue
        elif arg == flag and index + 1 < len(args):
            skip = True
        else:
            out.append(arg)
    return [*out, f"{flag}={value}"]


def run(host: DockerHost, image: str, args: list[str], mounts: dict[Path, str],
        health_interval: str = "1s") -> Container:
    """``docker run -d --network host IMAGE ARGS`` with free ports, bound to 127.0.0.1.

    ``--port``/``--rest_port`` in ``args`` are replaced by free ports (host networking shares the
    host's ports) and both edges bind to 127.0.0.1 only. ``mounts`` maps host paths to container
    paths (read-only). The healthcheck runs every ``health_interval``, so tests need not wait for
    the image's 10 s default.
    """
    grpc_port, rest_port = free_port(), free_port()
    name = f"ovms-py-test-{os.getpid()}-{rest_port}"
    volumes = [arg for source, target in mounts.items() for arg in ("-v", f"{source}:{target}:ro")]
    for flag, value in (("--port", grpc_port), ("--rest_port", rest_port),
                        ("--grpc_bind_address", "127.0.0.1"), ("--rest_bind_address", "127.0.0.1")):
        args = set_flag(args, flag, str(value))
    host.run("run", "--detach", "--name", name, "--network", "host",
             "--health-interval", health_interval, "--health-start-period", "60s", *volumes,
             image, *args)
    return Container(host, name, grpc_port, rest_port)


def readable_copy(source: Path, target: Path) -> Path:
    """Copy a file or tree world-readable, so the image's user (uid 5000) reads it whatever the umask."""
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy(source, target)
    for path in [target, *target.rglob("*")] if target.is_dir() else [target]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def demo_repository(work: Path) -> tuple[Path, Path]:
    """The demo models/ and the container config.json of docker/, as the README mounts them."""
    return (readable_copy(REPO / "models", work / "models"),
            readable_copy(REPO / "docker/config.json", work / "config.json"))
