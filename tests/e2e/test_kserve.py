"""KServe v2 over gRPC and REST against the real daemon, with tritonclient (sync, aio, binary)."""

from __future__ import annotations

import asyncio

import httpx
import numpy as np
import pytest
import tritonclient.grpc as tgrpc
import tritonclient.grpc.aio as tgrpc_aio
import tritonclient.http as thttp
import tritonclient.http.aio as thttp_aio
from tritonclient.utils import InferenceServerException


@pytest.fixture(scope="module")
def grpc_client(daemon):
    client = tgrpc.InferenceServerClient(daemon.grpc_url)
    yield client
    client.close()


@pytest.fixture(scope="module")
def http_client(daemon):
    client = thttp.InferenceServerClient(f"127.0.0.1:{daemon.rest_port}")
    yield client
    client.close()


def infer_inputs(module, inputs: dict[str, np.ndarray], binary: bool | None = None):
    made = []
    for name, value in inputs.items():
        tensor = module.InferInput(name, list(value.shape), {np.float32: "FP32", np.float64: "FP64",
                                                             np.int32: "INT32"}[value.dtype.type])
        if binary is None:
            tensor.set_data_from_numpy(value)
        else:
            tensor.set_data_from_numpy(value, binary_data=binary)
        made.append(tensor)
    return made


@pytest.mark.parametrize("name", ["dummy", "add_sub", "int32", "fp64", "dynamic", "saved_model"])
def test_grpc_infer_matches_numpy(grpc_client, specs, name):
    spec = specs[name][max(specs[name])]
    inputs = spec.sample_inputs(seed=5)
    result = grpc_client.infer(name, infer_inputs(tgrpc, inputs))
    for key, value in spec.expected(inputs).items():
        np.testing.assert_allclose(result.as_numpy(key), value, rtol=spec.rtol, atol=spec.atol)
    assert result.get_response().model_name == name


def test_grpc_large_raw_contents_match_numpy(grpc_client, specs):
    # 250 x 250 FP32 = 250 KB: raw_input_contents are read as views of the received message.
    spec = specs["dynamic"][1]
    inputs = spec.sample_inputs(seed=13, dynamic_dim=250)
    result = grpc_client.infer("dynamic", infer_inputs(tgrpc, inputs))
    np.testing.assert_allclose(result.as_numpy("y"), spec.expected(inputs)["y"])
    wrong = tgrpc.InferInput("x", [250, 250], "FP32")
    wrong.set_data_from_numpy(inputs["x"])
    wrong.set_shape([250, 251])  # the buffer is now one row short of the shape
    with pytest.raises(InferenceServerException, match="Invalid content size"):
        grpc_client.infer("dynamic", [wrong])


@pytest.mark.parametrize("binary", [False, True])
def test_http_infer_json_and_binary(http_client, specs, binary):
    spec = specs["add_sub"][1]
    inputs = spec.sample_inputs(seed=6)
    outputs = [thttp.InferRequestedOutput(n, binary_data=binary) for n in ("sum", "diff")]
    result = http_client.infer("add_sub", infer_inputs(thttp, inputs, binary), outputs=outputs, request_id="r-7")
    for key, value in spec.expected(inputs).items():
        np.testing.assert_allclose(result.as_numpy(key), value, rtol=1e-6)
    assert result.get_response()["id"] == "r-7"


def test_aio_clients(daemon, specs):
    spec = specs["dummy"][1]
    x = spec.sample_inputs(seed=7)

    async def main():
        async with tgrpc_aio.InferenceServerClient(daemon.grpc_url) as g:
            r = await g.infer("dummy", infer_inputs(tgrpc_aio, x), model_version="1")
            np.testing.assert_allclose(r.as_numpy("a"), x["b"] + 1)
            assert await g.is_server_ready()
        async with thttp_aio.InferenceServerClient(f"127.0.0.1:{daemon.rest_port}") as h:
            r = await h.infer("dummy", infer_inputs(thttp_aio, x, True), model_version="2")
            np.testing.assert_allclose(r.as_numpy("a"), x["b"] + 2)

    asyncio.run(main())


@pytest.mark.parametrize("which", ["grpc", "http"])
def test_health_and_metadata(grpc_client, http_client, which):
    client = grpc_client if which == "grpc" else http_client
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("dummy") and client.is_model_ready("dummy", "1")
    assert not client.is_model_ready("broken", "1")
    meta = client.get_model_metadata("dummy")
    meta = meta if isinstance(meta, dict) else {"name": meta.name, "versions": list(meta.versions),
                                               "platform": meta.platform,
                                               "inputs": [{"name": t.name, "datatype": t.datatype,
                                                           "shape": list(t.shape)} for t in meta.inputs]}
    assert meta["name"] == "dummy" and meta["versions"] == ["1", "2"] and meta["platform"] == "OpenVINO"
    assert meta["inputs"] == [{"name": "b", "datatype": "FP32", "shape": [1, 10]}]
    server = client.get_server_metadata()
    assert (server["name"] if isinstance(server, dict) else server.name) == "OpenVINO Model Server"


X = np.zeros((1, 10), np.float32)
ERRORS = [
    ("nope", {"b": X}, "", "Mediapipe graph definition with requested name is not found"),
    ("dummy", {"b": X}, "9", "Model with requested version is not found"),
    ("dummy", {"b": np.zeros((1, 9), np.float32)}, "", "Invalid input shape - Expected: (1,10); Actual: (1,9); input name: b"),
    ("dummy", {"b": X.astype(np.float64)}, "", "Invalid input precision - Expected: FP32; Actual: FP64; input name: b"),
    ("dummy", {"c": X}, "", "Missing input with specific name - Required input: b"),
    ("broken", {"b": X}, "1", "Model with requested version is not loaded yet"),
]


@pytest.mark.parametrize("name, inputs, version, message", ERRORS)
def test_errors_on_both_protocols(grpc_client, http_client, name, inputs, version, message):
    for module, client in ((tgrpc, grpc_client), (thttp, http_client)):
        with pytest.raises(InferenceServerException) as info:
            client.infer(name, infer_inputs(module, inputs), model_version=version)
        assert message in info.value.message(), (module.__name__, info.value.message())


def test_grpc_status_codes_and_version_format(grpc_client):
    with pytest.raises(InferenceServerException) as info:
        grpc_client.infer("dummy", infer_inputs(tgrpc, {"b": X}), model_version="abc")
    assert info.value.status() == "StatusCode.INVALID_ARGUMENT"
    with pytest.raises(InferenceServerException) as info:
        grpc_client.infer("nope", infer_inputs(tgrpc, {"b": X}))
    assert info.value.status() == "StatusCode.NOT_FOUND"


def test_rest_json_forms_and_http_codes(daemon):
    with httpx.Client(base_url=daemon.rest_url, timeout=30) as http:
        nested = {"inputs": [{"name": "b", "shape": [1, 10], "datatype": "FP32", "data": [[float(i) for i in range(10)]]}]}
        body = http.post("/v2/models/dummy/versions/1/infer", json=nested).json()
        assert body["model_name"] == "dummy" and body["model_version"] == "1"
        assert body["outputs"][0]["data"] == [float(i + 1) for i in range(10)]
        flat = {"id": "x", "inputs": [{"name": "b", "shape": [1, 10], "datatype": "FP32", "data": list(range(10))}]}
        assert http.post("/v2/models/dummy/infer", json=flat).json()["id"] == "x"
        assert http.get("/v2/health/ready").status_code == 200 and http.get("/v2/health/live").status_code == 200
        assert http.get("/v2/models/broken/versions/1/ready").status_code == 404
        assert http.get("/v2/models/nope").status_code == 404
        assert http.post("/v2/health/live").status_code == 406
        assert http.post("/v2/models/dummy/infer", content=b"{").status_code in (400, 412)
