"""TF Serving REST response JSON: predict (row/column), model status, metadata, config."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from ovms.api_rest.rest_errors import RestError
from ovms.api_rest.tfs_response import config_body, metadata_body, predict_body, status_body
from ovms.errors import OvmsError, Status
from ovms.types import ErrorCode, ModelMetadata, ModelState, Precision, TensorSpec, VersionStatus


def load(body: bytes) -> object:
    return orjson.loads(body)


def test_column_single_and_multiple_outputs() -> None:
    y = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    assert load(predict_body({"y": y}, "column")) == {"outputs": y.tolist()}
    ints = np.array([[1, 2]], dtype=np.int8)
    assert load(predict_body({"y": y, "i": ints}, "column")) == {"outputs": {"y": y.tolist(), "i": [[1, 2]]}}


def test_row_single_output_and_per_instance_objects() -> None:
    y = np.array([[1.5, 2.5], [3.5, 4.5]], dtype=np.float64)
    assert load(predict_body({"y": y}, "row")) == {"predictions": y.tolist()}
    ids = np.array([7, 8], dtype=np.uint64)
    body = load(predict_body({"y": y, "id": ids}, "row"))
    assert body == {"predictions": [{"y": [1.5, 2.5], "id": 7}, {"y": [3.5, 4.5], "id": 8}]}


def test_row_outputs_must_share_batch() -> None:
    with pytest.raises(RestError) as caught:
        predict_body({"a": np.zeros((2, 1)), "b": np.zeros((3, 1))}, "row")
    assert str(caught.value) == "Response parsing to JSON error"
    assert caught.value.status is Status.INTERNAL_ERROR


def test_string_outputs_text_or_b64_by_name() -> None:
    words = np.array([b"hi", b"\x00\x01"], dtype=object)
    body = load(predict_body({"words": words, "words_bytes": words}, "column"))
    assert body["outputs"]["words"] == ["hi", "\x00\x01"]
    assert body["outputs"]["words_bytes"] == [{"b64": "aGk="}, {"b64": "AAE="}]


@pytest.mark.parametrize("dtype", [np.float16, np.bool_, np.uint16])
def test_unsupported_output_precisions(dtype: type) -> None:
    with pytest.raises(OvmsError) as caught:
        predict_body({"y": np.zeros(2, dtype=dtype)}, "column")
    assert str(caught.value) == "Could not parse input content. Unsupported data precision detected"


def test_status_json() -> None:
    statuses = [VersionStatus(1, ModelState.AVAILABLE), VersionStatus(2, ModelState.LOADING, ErrorCode.UNKNOWN)]
    assert load(status_body(statuses)) == {
        "model_version_status": [
            {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": "OK"}},
            {"version": "2", "state": "LOADING", "status": {"error_code": "UNKNOWN", "error_message": "UNKNOWN"}},
        ]
    }
    config = load(config_body({"a": statuses[:1], "b": statuses[1:]}))
    assert list(config) == ["a", "b"] and config["b"]["model_version_status"][0]["state"] == "LOADING"


def test_metadata_json_is_camel_case_with_int64_strings() -> None:
    meta = ModelMetadata(
        "resnet",
        3,
        (TensorSpec("data", Precision.FP32, (1, 3, (200, 500), -1)),),
        (TensorSpec("prob", Precision.I64, (1, 1000)),),
    )
    body = load(metadata_body(meta))
    assert body["modelSpec"] == {"name": "resnet", "signatureName": "", "version": "3"}
    signature = body["metadata"]["signature_def"]
    assert signature["@type"] == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    serving = signature["signatureDef"]["serving_default"]
    assert serving["methodName"] == "" and serving["defaults"] == {}
    assert serving["inputs"]["data"] == {
        "dtype": "DT_FLOAT",
        "tensorShape": {"dim": [{"size": s, "name": ""} for s in ("1", "3", "-1", "-1")], "unknownRank": False},
        "name": "data",
    }
    assert serving["outputs"]["prob"]["dtype"] == "DT_INT64"
