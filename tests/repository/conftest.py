"""Session-wide storage servers (started on first use) and the ``remote`` fixture over every flavour."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.repository.remotes import FLAVOURS, SERVER_OF, Remote
from tests.repository.servers import Server, start_azurite, start_fake_gcs, start_moto

STARTERS: dict[str, Callable[[Path], Server]] = {"moto": start_moto, "gcs": start_fake_gcs,
                                                 "azurite": start_azurite}


def _serve(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = STARTERS[kind](tmp_path_factory.mktemp(f"{kind}-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve("moto", tmp_path_factory)


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve("gcs", tmp_path_factory)


@pytest.fixture(scope="session")
def azurite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve("azurite", tmp_path_factory)


@pytest.fixture(scope="session")
def remotes(request: pytest.FixtureRequest) -> dict[str, Remote]:
    """Flavour name -> its bucket, created on first use and shared by the session."""
    return {}


@pytest.fixture(params=sorted(FLAVOURS))
def remote(request: pytest.FixtureRequest, remotes: dict[str, Remote]) -> Remote:
    """Each test using this runs once per flavour: s3 (boto3), minio, gcs, azure."""
    flavour: str = request.param
    if flavour not in remotes:
        server = request.getfixturevalue(f"{SERVER_OF[flavour]}_server")
        remotes[flavour] = FLAVOURS[flavour](server)
    return remotes[flavour]


@pytest.fixture
def own_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], Server]]:
    """Start a private server of a kind (moto/gcs/azurite) that a test may stop; stopped at teardown."""
    started: list[Server] = []

    def start(kind: str) -> Server:
        started.append(STARTERS[kind](tmp_path))
        return started[-1]

    yield start
    for server in started:
        server.stop()
