"""KServe v2 REST API over a real uvicorn server, driven with httpx and tritonclient.http."""

from __future__ import annotations

import gc
import struct
from collections.abc import Iterator

import httpx
import numpy as np
import orjson
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from ovms.types import KSERVE_REST
from tests.api_rest.conftest import RunningServer


@pytest.fixture(autouse=True)
def _collect_clients_here() -> Iterator[None]:
    """Runs after ``client``'s teardown: collect the closed client on this (its gevent) thread.

    tritonclient's ``__del__`` closes the client again; left to the cyclic GC it may run on the
    server's thread, where gevent refuses to touch the client's hub.
    """
    yield
    gc.collect()


@pytest.fixture
def client(rest_server: RunningServer) -> Iterator[triton.InferenceServerClient]:
    rest_server.dataplane.requests.clear()
    client = triton.InferenceServerClient(rest_server.address)
    yield client
    client.close()


def test_health_and_server_metadata(rest_server: RunningServer, http: httpx.Client, client) -> None:
    assert http.get("/v2").json() == {"name": "OpenVINO Model Server", "version": "2026.11.0"}
    live = http.get("/v2/health/live")
    assert live.status_code == 200 and live.content == b""
    assert client.is_server_live() and client.is_server_ready()
    rest_server.dataplane.ready = False
    try:
        not_ready = http.get("/v2/health/ready")
    finally:
        rest_server.dataplane.ready = True
    assert not_ready.status_code == 503 and not_ready.json() == {"error": "Server is not ready"}


def test_model_metadata_and_readiness(http: httpx.Client, client) -> None:
    expected = {
        "name": "add",
        "versions": ["1", "2"],
        "platform": "OpenVINO",
        "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 3]}],
        "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 3]}],
    }
    assert http.get("/v2/models/add").json() == expected
    assert http.get("/v2/models/add/").json() == expected
    assert client.get_model_metadata("add", "1")["name"] == "add"
    assert client.is_model_ready("add") and client.is_model_ready("add", "2")
    loading = http.get("/v2/models/add/versions/3/ready")
    assert loading.status_code == 404 and loading.json() == {"error": "Model with requested version is not loaded yet"}
    unknown = http.get("/v2/models/nope/ready")
    assert unknown.status_code == 404 and unknown.json() == {"error": "Model with requested name is not found"}


def test_infer_json_with_id_parameters_and_timeout(rest_server: RunningServer, http: httpx.Client) -> None:
    payload = {
        "id": "abc",
        "parameters": {"timeout": 5_000_000, "custom": "v"},
        "inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [[1, 2, 3], [4, 5, 6]]}],
    }
    body = http.post("/v2/models/add/versions/1/infer", json=payload).json()
    assert body == {
        "model_name": "add",
        "id": "abc",
        "model_version": "1",
        "parameters": {"echoed": True},
        "outputs": [{"name": "y", "shape": [2, 3], "datatype": "FP32", "data": [2, 3, 4, 5, 6, 7]}],
    }
    request = rest_server.dataplane.requests[-1]
    assert request.frontend == KSERVE_REST and request.id == "abc" and request.deadline is not None
    assert request.parameters == {"timeout": 5_000_000, "custom": "v"}


def test_tritonclient_binary_inputs_and_outputs(rest_server: RunningServer, client) -> None:
    a = np.arange(6, dtype=np.float32).reshape(3, 2)
    b = np.full((3, 2), 0.5, dtype=np.float32)
    inputs = [triton.InferInput("a", [3, 2], "FP32"), triton.InferInput("b", [3, 2], "FP32")]
    inputs[0].set_data_from_numpy(a, binary_data=True)
    inputs[1].set_data_from_numpy(b, binary_data=False)
    outputs = [triton.InferRequestedOutput("sum", binary_data=True), triton.InferRequestedOutput("diff", binary_data=False)]
    result = client.infer("multi", inputs, outputs=outputs, request_id="r1")
    np.testing.assert_allclose(result.as_numpy("sum"), a + b)
    np.testing.assert_allclose(result.as_numpy("diff"), a - b)
    assert result.get_response()["id"] == "r1"
    received = rest_server.dataplane.requests[-1].inputs
    assert received["a"].buffer is not None and received["b"].values is not None


def test_tritonclient_default_outputs_are_binary(client) -> None:
    x = np.array([[0.5, -1, 2]], dtype=np.float32)
    tensor = triton.InferInput("x", [1, 3], "FP32")
    tensor.set_data_from_numpy(x)
    result = client.infer("half", [tensor])  # no outputs listed: binary_data_output=true
    np.testing.assert_array_equal(result.as_numpy("h"), x.astype(np.float16))
    np.testing.assert_array_equal(result.as_numpy("pos"), x > 0)


def test_tritonclient_bytes_tensors(client) -> None:
    words = np.array([b"hi", b"", b"\x00binary"], dtype=np.object_)
    for binary in (True, False):
        tensor = triton.InferInput("text", [3], "BYTES")
        tensor.set_data_from_numpy(words if binary else np.array(["hi", "", "x"], dtype=np.object_), binary_data=binary)
        wanted = [triton.InferRequestedOutput("upper", binary_data=binary)]
        result = client.infer("echo", [tensor], outputs=wanted)
        # JSON data come back as text, binary data as bytes.
        expected = [b"HI", b"", b"\x00BINARY"] if binary else ["HI", "", "X"]
        assert result.as_numpy("upper").tolist() == expected
        assert result.get_output("raw_bytes") is None  # not requested


def test_tritonclient_errors(client) -> None:
    tensor = triton.InferInput("x", [1, 3], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 3), np.float32))
    with pytest.raises(InferenceServerException, match="Mediapipe graph definition with requested name is not found"):
        client.infer("nope", [tensor])
    with pytest.raises(InferenceServerException, match="Unsupported data precision"):
        client.infer("half", [tensor], outputs=[triton.InferRequestedOutput("h", binary_data=False)])


def _binary(doc: dict, tail: bytes, length: int | None = None) -> tuple[bytes, dict[str, str]]:
    head = orjson.dumps(doc)
    return head + tail, {"Inference-Header-Content-Length": str(len(head) if length is None else length)}


def test_binary_response_header_over_raw_http(http: httpx.Client) -> None:
    x = np.ones((1, 3), np.float32)
    doc = {
        "inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "parameters": {"binary_data_size": 12}}],
        "outputs": [{"name": "y", "parameters": {"binary_data": True}}],
    }
    content, headers = _binary(doc, x.tobytes())
    response = http.post("/v2/models/add/infer", content=content, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    length = int(response.headers["inference-header-content-length"])
    header = orjson.loads(response.content[:length])
    assert header["outputs"][0]["parameters"] == {"binary_data_size": 12}
    np.testing.assert_array_equal(np.frombuffer(response.content[length:], np.float32), (x + 1).ravel())


FP32_X = {"name": "x", "shape": [1, 3], "datatype": "FP32"}
BINARY_CASES = [
    ({"inputs": [FP32_X]}, b"\x00" * 8, None, "Received buffer size is smaller than binary_data_size parameter indicates"),
    (
        {"inputs": [{**FP32_X, "data": [1, 2, 3], "parameters": {"binary_data_size": 12}}]},
        b"\x00" * 12,
        None,
        "Request contains values both in binary data and in content value",
    ),
    ({"inputs": [FP32_X]}, b"\x00" * 12, 10_000, "Inference-Header-Content-Length header exceeds actual payload length"),
    ({"inputs": [FP32_X]}, b"\x00" * 12, -1, "Inference-Header-Content-Length header is invalid and couldn't be parsed"),
    (
        {"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES"}]},
        struct.pack("<I", 9) + b"ab",
        None,
        "Inputs inside buffer does not match expected format.",
    ),
    (
        {"inputs": [{**FP32_X, "parameters": {"binary_data_size": 1.5}}]},
        b"",
        None,
        "Could not parse request parameters",
    ),
]


@pytest.mark.parametrize("doc, tail, length, text", BINARY_CASES)
def test_binary_extension_errors(http: httpx.Client, doc: dict, tail: bytes, length: int | None, text: str) -> None:
    model = "echo" if doc["inputs"][0]["name"] == "text" else "add"
    content, headers = _binary(doc, tail, length)
    response = http.post(f"/v2/models/{model}/infer", content=content, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": text}


def test_kserve_method_and_url_errors(http: httpx.Client) -> None:
    assert http.post("/v2/health/live").status_code == 406
    assert http.get("/v2/models/add/infer").json() == {"error": "Unsupported method"}
    assert http.get("/v2/models/add/versions/x").json() == {"error": "Invalid request URL"}
    missing = http.post("/v2/models/add/infer", json={"id": "x"})
    assert missing.status_code == 400 and missing.json() == {"error": "Invalid JSON structure, missing inputs"}
