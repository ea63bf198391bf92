"""KServe v2 REST response JSON and binary outputs; model and server metadata."""

from __future__ import annotations

import struct

import numpy as np
import orjson
import pytest

from ovms.api_rest.kserve_request import KServeInfer
from ovms.api_rest.kserve_response import infer_body, model_metadata_body, server_metadata_body
from ovms.errors import OvmsError
from ovms.types import InferResponse, ModelMetadata, Precision, TensorSpec


def request(binary: dict[str, bool] | None = None, default: bool = False) -> KServeInfer:
    return KServeInfer("req", {}, {}, None, binary or {}, default)


def test_json_outputs_are_flat_with_shape_and_datatype() -> None:
    y = np.arange(6, dtype=np.float32).reshape(2, 3)
    flags = np.array([[True, False]])
    words = np.array([b"ab", b"c"], dtype=object)
    response = InferResponse("m", 2, {"y": y, "flags": flags, "words": words}, "", {"seq": 1})
    payload, json_length = infer_body(response, request())
    assert json_length is None
    assert orjson.loads(payload) == {
        "model_name": "m",
        "id": "req",
        "model_version": "2",
        "parameters": {"seq": 1},
        "outputs": [
            {"name": "y", "shape": [2, 3], "datatype": "FP32", "data": [0, 1, 2, 3, 4, 5]},
            {"name": "flags", "shape": [1, 2], "datatype": "BOOL", "data": [True, False]},
            {"name": "words", "shape": [2], "datatype": "BYTES", "data": ["ab", "c"]},
        ],
    }


def test_binary_outputs_follow_the_json() -> None:
    y = np.arange(3, dtype=np.float16)
    words = np.array([b"ab"], dtype=object)
    z = np.array([1, 2], dtype=np.int32)
    response = InferResponse("m", 1, {"y": y, "words": words, "z": z})
    payload, json_length = infer_body(response, request({"z": False}, default=True))
    assert json_length is not None
    header = orjson.loads(payload[:json_length])
    assert header["outputs"][0] == {"name": "y", "shape": [3], "datatype": "FP16", "parameters": {"binary_data_size": 6}}
    assert header["outputs"][1]["parameters"] == {"binary_data_size": 6}
    assert header["outputs"][2]["data"] == [1, 2]
    assert payload[json_length:] == y.tobytes() + struct.pack("<I", 2) + b"ab"


def test_fp16_cannot_be_json() -> None:
    response = InferResponse("m", 1, {"y": np.zeros(2, dtype=np.float16)})
    with pytest.raises(OvmsError) as caught:
        infer_body(response, request())
    assert str(caught.value) == "Could not parse input content. Unsupported data precision detected"


def test_model_metadata_json() -> None:
    meta = ModelMetadata(
        "m", 2, (TensorSpec("x", Precision.U8, (1, (2, 5), -1)),), (TensorSpec("s", Precision.STRING, (-1,)),)
    )
    assert orjson.loads(model_metadata_body(meta, [1, 2])) == {
        "name": "m",
        "versions": ["1", "2"],
        "platform": "OpenVINO",
        "inputs": [{"name": "x", "datatype": "UINT8", "shape": [1, -1, -1]}],
        "outputs": [{"name": "s", "datatype": "BYTES", "shape": [-1]}],
    }
    assert "versions" not in orjson.loads(model_metadata_body(meta, []))


def test_server_metadata_json() -> None:
    assert orjson.loads(server_metadata_body("OpenVINO Model Server", "1.2")) == {
        "name": "OpenVINO Model Server",
        "version": "1.2",
    }
