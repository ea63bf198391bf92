"""build_grpc_server: binding, port 0, IPv6, bind failures, message size limits."""

from __future__ import annotations

import asyncio
import socket

import grpc
import numpy as np
import pytest
import tritonclient.grpc as grpcclient

from ovms.api_grpc.server import MAX_MESSAGE_BYTES, bracket_host, build_grpc_server
from tests.api_grpc.conftest import RunningServer
from tests.api_grpc.fake_dataplane import FakeDataPlane


@pytest.mark.parametrize(
    ("host", "expected"),
    [("0.0.0.0", "0.0.0.0"), ("localhost", "localhost"), ("::", "[::]"), ("::1", "[::1]"), ("[::1]", "[::1]")],
)
def test_bracket_host(host: str, expected: str) -> None:
    assert bracket_host(host) == expected


def _ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


async def _serve_and_probe(addresses: list[str], probe_hosts: list[str]) -> int:
    server, port = build_grpc_server(FakeDataPlane(), addresses, 0)
    await server.start()
    try:
        for host in probe_hosts:
            async with grpc.aio.insecure_channel(f"{bracket_host(host)}:{port}") as channel:
                live = channel.unary_unary("/inference.GRPCInferenceService/ServerLive")
                assert await live(b"", timeout=5) == b"\x08\x01"  # ServerLiveResponse(live=True)
    finally:
        await server.stop(grace=None)
    return port


def test_port_zero_binds_every_address_to_one_port() -> None:
    hosts = ["127.0.0.1", "::1"] if _ipv6_available() else ["127.0.0.1"]
    port = asyncio.run(_serve_and_probe(hosts, hosts))
    assert port > 0


def test_bind_failure_names_the_address() -> None:
    async def scenario() -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            with pytest.raises(OSError, match=f"127.0.0.1:{port}"):
                build_grpc_server(FakeDataPlane(), ["127.0.0.1"], port)

    asyncio.run(scenario())


def test_messages_larger_than_grpc_default_limit(grpc_server: RunningServer) -> None:
    assert MAX_MESSAGE_BYTES == 1 << 30
    x = np.random.default_rng(0).random((700_000, 3), dtype=np.float32)  # ~8 MB each way, default is 4 MB
    with grpcclient.InferenceServerClient(grpc_server.target) as client:
        tensor = grpcclient.InferInput("x", list(x.shape), "FP32")
        tensor.set_data_from_numpy(x)
        result = client.infer("add", [tensor], client_timeout=30)
    np.testing.assert_array_equal(result.as_numpy("y"), x + 1)
