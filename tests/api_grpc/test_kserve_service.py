"""GRPCInferenceService through tritonclient.grpc (sync and aio); data travels raw."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.grpc.aio as aioclient

from tests.api_grpc.conftest import RunningServer

DATATYPES = {
    "FP32": np.float32, "FP64": np.float64, "FP16": np.float16, "INT8": np.int8, "INT16": np.int16,
    "INT32": np.int32, "INT64": np.int64, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32,
    "UINT64": np.uint64, "BOOL": np.bool_,
}


@pytest.fixture
def client(grpc_server: RunningServer) -> grpcclient.InferenceServerClient:
    with grpcclient.InferenceServerClient(grpc_server.target) as c:
        yield c


def make_input(name: str, array: np.ndarray, datatype: str) -> grpcclient.InferInput:
    tensor = grpcclient.InferInput(name, list(array.shape), datatype)
    tensor.set_data_from_numpy(array)
    return tensor


def test_server_endpoints(client) -> None:
    assert client.is_server_live() and client.is_server_ready()
    meta = client.get_server_metadata()
    assert (meta.name, meta.version, list(meta.extensions)) == ("OpenVINO Model Server", "2026.11.0", [])


def test_model_ready(client) -> None:
    assert client.is_model_ready("add")
    assert client.is_model_ready("add", "1")
    assert not client.is_model_ready("add", "3")  # LOADING


def test_model_metadata(client) -> None:
    meta = client.get_model_metadata("multi")
    assert (meta.name, list(meta.versions), meta.platform) == ("multi", ["1"], "OpenVINO")
    inputs = [(t.name, t.datatype, list(t.shape)) for t in meta.inputs]
    assert inputs == [("a", "FP32", [1, -1]), ("b", "FP32", [1, -1])]
    assert [t.name for t in meta.outputs] == ["sum", "diff"]
    assert list(client.get_model_metadata("add", "1").versions) == ["1", "2"]  # AVAILABLE versions only


@pytest.mark.parametrize("datatype", sorted(DATATYPES))
def test_infer_raw_roundtrip(client, datatype: str) -> None:
    dtype = DATATYPES[datatype]
    x = (np.arange(6).reshape(2, 3) % 4).astype(dtype)
    result = client.infer("add", [make_input("x", x, datatype)], request_id="req-7")
    expected = np.logical_not(x) if dtype is np.bool_ else x + dtype(1)
    out = result.as_numpy("y")
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, expected)
    response = result.get_response()
    assert (response.model_name, response.model_version, response.id) == ("add", "2", "req-7")
    assert response.outputs[0].datatype == datatype and list(response.outputs[0].shape) == [2, 3]
    assert len(response.raw_output_contents) == 1 and not response.outputs[0].HasField("contents")


def test_infer_bytes(client) -> None:
    text = np.array([b"ab", b"", "żółw".encode()], dtype=np.object_)
    result = client.infer("echo", [make_input("text", text, "BYTES")])
    assert result.as_numpy("text_out").tolist() == [b"AB", b"", "żółw".encode().upper()]
    assert result.get_response().outputs[0].datatype == "BYTES"


def test_requested_outputs_and_parameters(client, grpc_server: RunningServer) -> None:
    a, b = np.array([[1, 2, 3]], np.float32), np.array([[5, 5, 5]], np.float32)
    result = client.infer(
        "multi",
        [make_input("a", a, "FP32"), make_input("b", b, "FP32")],
        model_version="1",
        outputs=[grpcclient.InferRequestedOutput("diff")],
        parameters={"mode": "fast", "n": 3, "flag": True},
    )
    assert [o.name for o in result.get_response().outputs] == ["diff"]
    np.testing.assert_array_equal(result.as_numpy("diff"), a - b)
    seen = grpc_server.dataplane.requests[-1]
    assert seen.outputs == ("diff",) and seen.version == 1 and seen.frontend.api == "KServe"
    assert seen.parameters == {"mode": "fast", "n": 3, "flag": True}
    assert result.get_response().parameters["fake"].bool_param is True


def test_deadline_reaches_core(client, grpc_server: RunningServer) -> None:
    before = time.monotonic()
    client.infer("add", [make_input("x", np.ones((1, 3), np.float32), "FP32")], client_timeout=20)
    deadline = grpc_server.dataplane.requests[-1].deadline
    assert deadline is not None and abs(deadline - (before + 20)) < 1.0


def test_aio_client(grpc_server: RunningServer) -> None:
    async def scenario() -> None:
        async with aioclient.InferenceServerClient(grpc_server.target) as c:
            assert await c.is_server_live() and await c.is_model_ready("add")
            meta = await c.get_model_metadata("add")
            assert [(t.name, list(t.shape)) for t in meta.inputs] == [("x", [-1, 3])]
            x = np.arange(12, dtype=np.float32).reshape(4, 3)
            inputs = [aioclient.InferInput("x", [4, 3], "FP32")]
            inputs[0].set_data_from_numpy(x)
            results = await asyncio.gather(*(c.infer("add", inputs, request_id=str(i)) for i in range(8)))
            for i, result in enumerate(results):
                np.testing.assert_array_equal(result.as_numpy("y"), x + 1)
                assert result.get_response().id == str(i)

    asyncio.run(scenario())
