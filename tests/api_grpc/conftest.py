"""Fixtures for gRPC edge tests: the real server on 127.0.0.1:0 over a FakeDataPlane.

The server runs on its own event loop in a background thread, so the blocking real clients
(tensorflow-serving-api stubs, ovmsclient, tritonclient) can call it from the test thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest

from ovms.api_grpc.server import build_grpc_server
from tests.api_grpc.fake_dataplane import FakeDataPlane


@dataclass
class RunningServer:
    dataplane: FakeDataPlane
    port: int

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


async def _start(dataplane: FakeDataPlane) -> tuple[grpc.aio.Server, int]:
    server, port = build_grpc_server(dataplane, ["127.0.0.1"], 0)
    await server.start()
    return server, port


async def _stop(server: grpc.aio.Server) -> set[asyncio.Task[object]]:
    await server.stop(grace=None)
    await asyncio.sleep(0)  # let cancelled handler tasks finish
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


@pytest.fixture(scope="package")
def grpc_server() -> Iterator[RunningServer]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="grpc-test-server", daemon=True)
    thread.start()
    dataplane = FakeDataPlane()
    server, port = asyncio.run_coroutine_threadsafe(_start(dataplane), loop).result(timeout=10)
    try:
        yield RunningServer(dataplane, port)
    finally:
        leftovers = asyncio.run_coroutine_threadsafe(_stop(server), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
    assert not thread.is_alive()
    assert not leftovers, f"tasks left running after server stop: {leftovers}"


@pytest.fixture
def channel(grpc_server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(grpc_server.target) as chan:
        yield chan
