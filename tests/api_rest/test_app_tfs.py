"""TF Serving REST API over a real uvicorn server, driven with httpx and ovmsclient."""

from __future__ import annotations

import base64

import httpx
import numpy as np
import pytest
from ovmsclient import make_http_client
from ovmsclient.tfs_compat.base.errors import InvalidInputError, ModelNotFoundError

from ovms.types import TFS_REST
from tests.api_rest.conftest import RunningServer


def test_model_status(http: httpx.Client) -> None:
    ok = {"error_code": "OK", "error_message": "OK"}
    body = http.get("/v1/models/add").json()
    assert body["model_version_status"][:2] == [
        {"version": "1", "state": "AVAILABLE", "status": ok},
        {"version": "2", "state": "AVAILABLE", "status": ok},
    ]
    assert body["model_version_status"][2]["status"] == {"error_code": "UNKNOWN", "error_message": "UNKNOWN"}
    assert http.get("/v1/models/add/versions/0").json() == body
    assert [s["version"] for s in http.get("/v1/models/add/versions/2").json()["model_version_status"]] == ["2"]
    assert http.get("/v1/models/add/labels/stable").json() == body  # labels are ignored
    response = http.get("/v1/models/add")
    assert response.headers["content-type"] == "application/json"


def test_model_metadata(http: httpx.Client) -> None:
    body = http.get("/v1/models/add/metadata").json()
    assert body["modelSpec"] == {"name": "add", "signatureName": "", "version": "2"}
    serving = body["metadata"]["signature_def"]["signatureDef"]["serving_default"]
    assert serving["inputs"]["x"]["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in serving["inputs"]["x"]["tensorShape"]["dim"]] == ["-1", "3"]
    assert http.get("/v1/models/add/versions/1/metadata").json()["modelSpec"]["version"] == "1"


def test_predict_row_and_column_single_input(http: httpx.Client) -> None:
    x = np.array([[1.5, 2, 3], [4, 5, 6]], dtype=np.float32)
    row = http.post("/v1/models/add:predict", json={"instances": x.tolist()})
    assert row.status_code == 200
    np.testing.assert_allclose(row.json()["predictions"], x + 1)
    named_row = http.post("/v1/models/add/versions/1:predict", json={"instances": [{"x": r} for r in x.tolist()]})
    np.testing.assert_allclose(named_row.json()["predictions"], x + 1)
    column = http.post("/v1/models/add:predict", json={"inputs": {"x": x.tolist()}})
    np.testing.assert_allclose(column.json()["outputs"], x + 1)
    bare = http.post("/v1/models/add:predict", json={"inputs": x.tolist()})
    np.testing.assert_allclose(bare.json()["outputs"], x + 1)


def test_json_numbers_reach_the_core_untyped(rest_server: RunningServer, http: httpx.Client) -> None:
    response = http.post("/v1/models/ints:predict", json={"inputs": {"i": [1, 2, 3]}})
    assert response.json() == {"outputs": [2, 4, 6]}
    tensor = rest_server.dataplane.requests[-1].inputs["i"]
    assert tensor.precision is None and tensor.shape is None and tensor.values.shape == (3,)
    assert rest_server.dataplane.requests[-1].frontend == TFS_REST


def test_predict_multiple_inputs_and_outputs(http: httpx.Client) -> None:
    a = np.array([[1, 2], [3, 4]], dtype=np.float32)
    b = np.array([[10, 20], [30, 40]], dtype=np.float32)
    column = http.post("/v1/models/multi:predict", json={"inputs": {"a": a.tolist(), "b": b.tolist()}}).json()
    np.testing.assert_allclose(column["outputs"]["sum"], a + b)
    np.testing.assert_allclose(column["outputs"]["diff"], a - b)
    rows = http.post("/v1/models/multi:predict", json={"instances": [{"a": a[i].tolist(), "b": b[i].tolist()} for i in range(2)]})
    predictions = rows.json()["predictions"]
    assert [list(p) for p in predictions] == [["sum", "diff"], ["sum", "diff"]]
    np.testing.assert_allclose([p["sum"] for p in predictions], a + b)


def test_b64_inputs_and_string_outputs(http: httpx.Client) -> None:
    blobs = [b"hello", b"\x00\xfe"]
    payload = {"instances": [{"b64": base64.b64encode(v).decode()} for v in blobs]}
    body = http.post("/v1/models/echo:predict", json=payload).json()
    assert body["predictions"][0] == {"upper": "HELLO", "raw_bytes": {"b64": base64.b64encode(b"hello").decode()}}
    assert base64.b64decode(body["predictions"][1]["raw_bytes"]["b64"]) == b"\x00\xfe"
    strings = http.post("/v1/models/echo:predict", json={"inputs": {"text": ["ab", "cd"]}}).json()
    assert strings["outputs"]["upper"] == ["AB", "CD"]


def test_deadline_header(rest_server: RunningServer, http: httpx.Client) -> None:
    http.post("/v1/models/add:predict", json={"instances": [[1, 2, 3]]}, headers={"X-Request-Timeout-Ms": "1500"})
    assert rest_server.dataplane.requests[-1].deadline is not None
    http.post("/v1/models/add:predict", json={"instances": [[1, 2, 3]]})
    assert rest_server.dataplane.requests[-1].deadline is None


def test_percent_encoded_model_name(rest_server: RunningServer, http: httpx.Client) -> None:
    response = http.post("/v1/models/%61dd:predict", json={"instances": [[1, 2, 3]]})
    assert response.status_code == 200 and rest_server.dataplane.requests[-1].model_name == "add"


def test_ovmsclient_round_trip(rest_server: RunningServer) -> None:
    client = make_http_client(rest_server.address)
    x = np.array([[1, 2, 3]], dtype=np.float32)
    np.testing.assert_allclose(client.predict({"x": x}, "add"), x + 1)
    np.testing.assert_allclose(client.predict({"x": x}, "add", model_version=1), x + 1)
    a = np.ones((1, 2), dtype=np.float32)
    both = client.predict({"a": a, "b": a * 3}, "multi")
    np.testing.assert_allclose(both["sum"], a * 4)
    np.testing.assert_allclose(both["diff"], -a * 2)
    echoed = client.predict({"text": [b"xy", b"z"]}, "echo")
    assert echoed["upper"].tolist() == ["XY", "Z"]
    metadata = client.get_model_metadata("add")
    assert metadata == {
        "model_version": 2,
        "inputs": {"x": {"dtype": "DT_FLOAT", "shape": [-1, 3]}},
        "outputs": {"y": {"dtype": "DT_FLOAT", "shape": [-1, 3]}},
    }
    status = client.get_model_status("add")
    assert status[1] == {"state": "AVAILABLE", "error_code": 0, "error_message": "OK"}
    assert status[3]["state"] == "LOADING"


def test_ovmsclient_errors(rest_server: RunningServer) -> None:
    client = make_http_client(rest_server.address)
    with pytest.raises(ModelNotFoundError, match="Model with requested name is not found"):
        client.predict({"x": np.ones((1, 3), np.float32)}, "nope")
    with pytest.raises(ModelNotFoundError, match="Model with requested version is not found"):
        client.get_model_status("add", model_version=9)
    with pytest.raises(InvalidInputError, match="Missing input with specific name"):
        client.predict({"a": np.ones((1, 2), np.float32), "c": np.ones((1, 2), np.float32)}, "multi")
