"""The TFS services through ovmsclient (always sends model_spec.version, 0 = default)."""

from __future__ import annotations

import numpy as np
import pytest
from ovmsclient import make_grpc_client
from ovmsclient.tfs_compat.base.errors import InvalidInputError, ModelNotFoundError

from tests.api_grpc.conftest import RunningServer


@pytest.fixture
def client(grpc_server: RunningServer):
    return make_grpc_client(grpc_server.target)


def test_predict_single_output(client, grpc_server: RunningServer) -> None:
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    result = client.predict({"x": x}, "add")
    np.testing.assert_array_equal(result, x + 1)
    assert grpc_server.dataplane.requests[-1].version == 0  # the sent version 0 reached the core as "default"


def test_predict_multiple_outputs(client) -> None:
    a = np.array([[1, 2, 3]], np.float32)
    b = np.array([[10, 20, 30]], np.float32)
    result = client.predict({"a": a, "b": b}, "multi", model_version=1)
    np.testing.assert_array_equal(result["sum"], a + b)
    np.testing.assert_array_equal(result["diff"], a - b)


def test_predict_strings(client) -> None:
    result = client.predict({"text": [b"ab", b"cd"]}, "echo")
    assert result.tolist() == [b"AB", b"CD"]


def test_metadata(client) -> None:
    meta = client.get_model_metadata("add")
    assert meta["model_version"] == 2
    assert meta["inputs"] == {"x": {"shape": [-1, 3], "dtype": "DT_FLOAT"}}
    assert meta["outputs"] == {"y": {"shape": [-1, 3], "dtype": "DT_FLOAT"}}


def test_status(client) -> None:
    status = client.get_model_status("add")
    assert status[1] == {"state": "AVAILABLE", "error_code": 0, "error_message": "OK"}
    assert status[3] == {"state": "LOADING", "error_code": 2, "error_message": "UNKNOWN"}
    assert list(client.get_model_status("add", model_version=2)) == [2]


def test_errors(client) -> None:
    with pytest.raises(ModelNotFoundError, match="Model with requested name is not found"):
        client.get_model_status("nope")
    with pytest.raises(InvalidInputError, match="Invalid input precision"):
        client.predict({"x": np.ones((1, 3), np.complex64)}, "add")
