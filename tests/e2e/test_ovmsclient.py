"""ovmsclient, the OVMS Python client, over gRPC and HTTP against the real daemon."""

from __future__ import annotations

import numpy as np
import ovmsclient
import pytest


@pytest.fixture(scope="module", params=["grpc", "http"])
def client(request, daemon):
    if request.param == "grpc":
        return ovmsclient.make_grpc_client(daemon.grpc_url)
    return ovmsclient.make_http_client(f"127.0.0.1:{daemon.rest_port}")


def test_predict_default_and_specific_version(client):
    x = np.arange(10, dtype=np.float32).reshape(1, 10)
    assert np.array_equal(client.predict({"b": x}, "dummy"), x + 2)
    assert np.array_equal(client.predict({"b": x}, "dummy", model_version=1), x + 1)


def test_predict_multiple_outputs(client, specs):
    spec = specs["add_sub"][1]
    inputs = spec.sample_inputs(seed=2)
    outputs = client.predict(inputs, "add_sub")
    for name, value in spec.expected(inputs).items():
        np.testing.assert_allclose(outputs[name], value, rtol=1e-6)


def test_metadata_and_status(client):
    meta = client.get_model_metadata("dummy")
    assert meta["model_version"] == 2
    assert meta["inputs"] == {"b": {"shape": [1, 10], "dtype": "DT_FLOAT"}}
    assert meta["outputs"] == {"a": {"shape": [1, 10], "dtype": "DT_FLOAT"}}
    assert client.get_model_status("dummy") == {
        1: {"state": "AVAILABLE", "error_code": 0, "error_message": "OK"},
        2: {"state": "AVAILABLE", "error_code": 0, "error_message": "OK"},
    }


def test_errors_map_to_ovmsclient_exceptions(client):
    with pytest.raises(ovmsclient.ModelNotFoundError):
        client.predict({"b": np.zeros((1, 10), np.float32)}, "nope")
    with pytest.raises(ovmsclient.InvalidInputError):
        client.predict({"b": np.zeros((1, 9), np.float32)}, "dummy")
