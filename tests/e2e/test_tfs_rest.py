"""TF Serving REST API of the real daemon, driven with plain HTTP (httpx)."""

from __future__ import annotations

import base64

import httpx
import numpy as np
import pytest


@pytest.fixture(scope="module")
def http(daemon):
    with httpx.Client(base_url=daemon.rest_url, timeout=30) as client:
        yield client


def test_status_endpoints(http):
    body = http.get("/v1/models/dummy").json()
    assert body == {"model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": "OK"}},
        {"version": "2", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": "OK"}},
    ]}
    assert [v["version"] for v in http.get("/v1/models/dummy/versions/1").json()["model_version_status"]] == ["1"]
    assert len(http.get("/v1/models/dummy/versions/0").json()["model_version_status"]) == 2
    broken = http.get("/v1/models/broken").json()["model_version_status"][0]
    assert broken["state"] == "LOADING" and broken["status"]["error_code"] == "UNKNOWN"


def test_metadata(http):
    body = http.get("/v1/models/dummy/versions/1/metadata").json()
    assert body["modelSpec"] == {"name": "dummy", "signatureName": "", "version": "1"}
    sig = body["metadata"]["signature_def"]["signatureDef"]["serving_default"]
    assert sig["inputs"]["b"]["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in sig["inputs"]["b"]["tensorShape"]["dim"]] == ["1", "10"]
    assert http.get("/v1/models/dummy/metadata").json()["modelSpec"]["version"] == "2"


def test_predict_row_and_column_formats(http, specs):
    x = np.arange(10, dtype=np.float32).reshape(1, 10)
    row = http.post("/v1/models/dummy/versions/1:predict", json={"instances": x.tolist()})
    assert row.status_code == 200 and np.allclose(row.json()["predictions"], x + 1)
    column = http.post("/v1/models/dummy:predict", json={"inputs": {"b": x.tolist()}})
    assert np.allclose(column.json()["outputs"], x + 2)
    spec = specs["add_sub"][1]
    inputs = spec.sample_inputs(seed=1)
    both = http.post("/v1/models/add_sub:predict", json={"inputs": {k: v.tolist() for k, v in inputs.items()}}).json()
    expected = spec.expected(inputs)
    for key in ("sum", "diff"):
        np.testing.assert_allclose(both["outputs"][key], expected[key], rtol=1e-6)
    rows = http.post("/v1/models/add_sub:predict", json={"instances": [{k: v[0].tolist() for k, v in inputs.items()}]})
    np.testing.assert_allclose(rows.json()["predictions"][0]["sum"], expected["sum"][0], rtol=1e-6)


def test_predict_casts_json_numbers_to_model_precision(http):
    out = http.post("/v1/models/int32:predict", json={"inputs": {"b": [list(range(10))]}}).json()["outputs"]
    assert out == [[v + 3 for v in range(10)]]
    out = http.post("/v1/models/fp64:predict", json={"instances": [[0.25] * 10]}).json()["predictions"]
    assert out == [[0.75] * 10]


def test_inputs_the_model_does_not_have_are_dropped_as_ovms_does(http):
    x = np.arange(10, dtype=np.float32).reshape(1, 10)
    column = http.post("/v1/models/dummy:predict", json={"inputs": {"b": x.tolist(), "extra": [[1, 2]]}})
    assert column.status_code == 200, column.text
    np.testing.assert_array_equal(column.json()["outputs"], x + 2)
    row = http.post("/v1/models/dummy/versions/1:predict", json={"instances": [{"b": x[0].tolist(), "extra": 7}]})
    assert row.status_code == 200, row.text
    np.testing.assert_array_equal(row.json()["predictions"], x + 1)
    only_extra = http.post("/v1/models/dummy:predict", json={"inputs": {"extra": [[1.0]]}})
    assert (only_extra.status_code, only_extra.json()) == (
        400, {"error": "Invalid number of inputs - Expected: 1; Actual: 0"})


def test_b64_binary_input_to_numeric_model_is_rejected_cleanly(http):
    payload = {"instances": [{"b64": base64.b64encode(b"abc").decode()}]}
    response = http.post("/v1/models/dummy:predict", json=payload)
    assert response.status_code == 400 and "error" in response.json()


BAD = [
    ("post", "/v1/models/nope:predict", {"inputs": {"b": [[0] * 10]}}, 404, "Model with requested name is not found"),
    ("post", "/v1/models/dummy/versions/9:predict", {"inputs": {"b": [[0] * 10]}}, 404,
     "Model with requested version is not found"),
    ("post", "/v1/models/broken/versions/1:predict", {"inputs": {"b": [[0] * 10]}}, 404,
     "Model with requested version is not loaded yet"),
    ("post", "/v1/models/dummy:predict", {"inputs": {"b": [[0] * 9]}}, 400,
     "Invalid input shape - Expected: (1,10); Actual: (1,9); input name: b"),
    ("post", "/v1/models/dummy:predict", {"inputs": {"b": [[0] * 10, [0] * 10]}}, 400,
     "Invalid input batch size - Expected: 1; Actual: 2; input name: b"),
    ("post", "/v1/models/dummy:predict", {"inputs": {"b": [0] * 10}}, 400,
     "Invalid number of shape dimensions - Expected: (1,10); Actual: (10); input name: b"),
    ("post", "/v1/models/add_sub:predict", {"inputs": {"x": [[0] * 10]}}, 400,
     "Invalid number of inputs - Expected: 2; Actual: 1"),
    ("post", "/v1/models/dummy:predict", {"instances": [], }, 400, None),
    ("post", "/v1/models/dummy:predict", {"instances": [[1]], "inputs": [[1]]}, 400, None),
    ("post", "/v1/models/dummy:classify", {"examples": []}, 404, "Requested REST resource not found"),
    ("get", "/v1/models/nope", None, 404, "Model with requested name is not found"),
    ("get", "/v1/models/dummy/versions/9", None, 404, "Model with requested version is not found"),
    ("get", "/v1/models/nope/metadata", None, 404, "Model with requested name is not found"),
    ("get", "/v1/nothing/here", None, 400, "Invalid request URL"),
    ("put", "/v1/models/dummy", None, 406, "Unsupported method"),
]


@pytest.mark.parametrize("method, path, body, code, message", BAD)
def test_errors(http, method, path, body, code, message):
    response = http.request(method.upper(), path, json=body)
    assert response.status_code == code, response.text
    if message is not None:
        assert response.json() == {"error": message}
    else:
        assert response.json()["error"]


def test_invalid_json_is_412(http):
    response = http.post("/v1/models/dummy:predict", content=b"{not json")
    assert response.status_code == 412 and response.json()["error"].startswith("The file is not valid json")
