"""Session fixtures for the image tests: a Docker daemon, the local base image, the built image."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.docker import dockerhost
from tests.docker.dockerhost import DockerHost, DockerUnavailable

IMAGE = "ovms-py:test"
_timings: dict[str, float] = {}


@pytest.fixture(scope="session")
def docker_host() -> Iterator[DockerHost]:
    """A running Docker daemon (skips, with the reason, where none can run)."""
    try:
        host = dockerhost.start()
    except DockerUnavailable as reason:
        pytest.skip(f"no Docker daemon can run here: {reason}")
    try:
        yield host
    finally:
        dockerhost.release()
        _timings.update(host.timings)


@pytest.fixture(scope="session")
def image(docker_host: DockerHost, tmp_path_factory: pytest.TempPathFactory) -> str:
    """docker/Dockerfile built on the debootstrap'd base (the base is cached by the daemon)."""
    with dockerhost.locked("build"):  # overlapping test runs build one after the other
        base = dockerhost.ensure_base_image(docker_host, tmp_path_factory.mktemp("base"))
        dockerhost.build_image(docker_host, base, IMAGE)
    return IMAGE


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _timings:
        steps = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in _timings.items())
        terminalreporter.write_line(f"docker image tests: {steps}")
