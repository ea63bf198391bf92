"""Fixtures for REST edge tests: the real app under uvicorn (httptools, uvloop) on 127.0.0.1:0.

The server runs in a background thread, so blocking real clients (httpx, ovmsclient,
tritonclient) can call it from the test thread. Teardown checks that the server thread ended.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from ovms.api_rest.app import build_app
from tests.api_rest.fake_dataplane import FakeDataPlane

BODY_LIMIT = 64 * 1024


async def fake_metrics(scope, receive, send) -> None:
    """A stand-in metrics endpoint (the real one is not part of the REST edge)."""
    body = b"# fake metrics\n"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


@dataclass
class RunningServer:
    dataplane: FakeDataPlane
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"


def _serve(app, dataplane: FakeDataPlane) -> Iterator[RunningServer]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, loop="uvloop", http="httptools", lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="rest-test-server")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield RunningServer(dataplane, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert not thread.is_alive(), "uvicorn thread did not stop"


@pytest.fixture(scope="package")
def rest_server() -> Iterator[RunningServer]:
    dataplane = FakeDataPlane()
    app = build_app(dataplane, max_body_bytes=BODY_LIMIT, metrics_endpoint=fake_metrics)
    yield from _serve(app, dataplane)


@pytest.fixture(scope="package")
def bare_server() -> Iterator[RunningServer]:
    """The app built with defaults only (no metrics endpoint, default body limit)."""
    dataplane = FakeDataPlane()
    yield from _serve(build_app(dataplane), dataplane)


@pytest.fixture
def http(rest_server: RunningServer) -> Iterator[httpx.Client]:
    rest_server.dataplane.requests.clear()
    with httpx.Client(base_url=rest_server.url, timeout=10) as client:
        yield client
