"""PredictionService/ModelService through the real tensorflow-serving-api stubs."""

from __future__ import annotations

import time

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from tests.api_grpc.conftest import RunningServer


@pytest.fixture
def predict_stub(channel: grpc.Channel) -> prediction_service_pb2_grpc.PredictionServiceStub:
    return prediction_service_pb2_grpc.PredictionServiceStub(channel)


@pytest.fixture
def model_stub(channel: grpc.Channel) -> model_service_pb2_grpc.ModelServiceStub:
    return model_service_pb2_grpc.ModelServiceStub(channel)


def predict_request(model: str, version: int | None = None, **inputs: object) -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    if version is not None:
        request.model_spec.version.value = version
    for name, proto in inputs.items():
        request.inputs[name].CopyFrom(proto)
    return request


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int8, np.int16, np.int32, np.int64,
                                   np.uint8, np.uint16, np.uint32, np.uint64])
def test_predict_tensor_content_roundtrip(predict_stub, dtype) -> None:
    x = (np.arange(6).reshape(2, 3) * 3).astype(dtype)
    response = predict_stub.Predict(predict_request("add", x=tf.make_tensor_proto(x)), timeout=10)
    out = response.outputs["y"]
    assert out.tensor_content  # outputs always travel in tensor_content
    np.testing.assert_array_equal(tf.make_ndarray(out), x + dtype(1))
    assert tf.make_ndarray(out).dtype == dtype
    assert (response.model_spec.name, response.model_spec.version.value) == ("add", 2)  # like TF Serving


@pytest.mark.parametrize(
    ("field", "dtype", "tf_dtype"),
    [
        ("float_val", np.float32, tf.float32),
        ("double_val", np.float64, tf.float64),
        ("int_val", np.int8, tf.int8),
        ("int_val", np.uint16, tf.uint16),
        ("int_val", np.int32, tf.int32),
        ("int64_val", np.int64, tf.int64),
        ("uint32_val", np.uint32, tf.uint32),
        ("uint64_val", np.uint64, tf.uint64),
        ("bool_val", np.bool_, tf.bool),
    ],
)
def test_predict_typed_fields(predict_stub, field, dtype, tf_dtype) -> None:
    x = np.array([[1, 0, 3], [4, 5, 0]]).astype(dtype)
    proto = tf.make_tensor_proto([], dtype=tf_dtype, shape=[0])  # an empty typed proto to fill by hand
    proto.tensor_shape.dim[0].size = 2
    proto.tensor_shape.dim.add().size = 3
    getattr(proto, field).extend(x.reshape(-1).tolist())
    response = predict_stub.Predict(predict_request("add", x=proto), timeout=10)
    expected = np.logical_not(x) if dtype is np.bool_ else x + dtype(1)
    np.testing.assert_array_equal(tf.make_ndarray(response.outputs["y"]), expected)


def test_predict_half_val(predict_stub) -> None:
    x = np.array([[0.5, -1.25, 3.0]], dtype=np.float16)
    proto = tf.make_tensor_proto([], dtype=tf.float16, shape=[0])
    proto.tensor_shape.dim[0].size = 1
    proto.tensor_shape.dim.add().size = 3
    proto.half_val.extend(x.view(np.uint16).reshape(-1).tolist())
    response = predict_stub.Predict(predict_request("add", x=proto), timeout=10)
    np.testing.assert_array_equal(tf.make_ndarray(response.outputs["y"]), x + np.float16(1))


def test_predict_strings(predict_stub) -> None:
    text = np.array([b"abc", b"", b"x\x00y"], dtype=object)
    response = predict_stub.Predict(predict_request("echo", text=tf.make_tensor_proto(text)), timeout=10)
    out = response.outputs["text_out"]
    assert out.dtype == tf.string.as_datatype_enum and not out.tensor_content
    assert list(out.string_val) == [b"ABC", b"", b"X\x00Y"]
    assert [d.size for d in out.tensor_shape.dim] == [3]


def test_predict_versions_and_deadline(grpc_server: RunningServer, predict_stub) -> None:
    x = tf.make_tensor_proto(np.ones((1, 3), np.float32))
    before = time.monotonic()
    predict_stub.Predict(predict_request("add", version=0, x=x), timeout=30)
    seen = grpc_server.dataplane.requests[-1]
    assert seen.version == 0 and seen.model_name == "add" and seen.frontend.api == "TensorFlowServing"
    # absolute monotonic time: about 30 s after the call started (grpc's clocks differ by a few ms)
    assert seen.deadline is not None and abs(seen.deadline - (before + 30)) < 1.0
    predict_stub.Predict(predict_request("add", version=1, x=x))  # no timeout: no deadline
    assert grpc_server.dataplane.requests[-1].version == 1
    assert grpc_server.dataplane.requests[-1].deadline is None


def test_metadata_signature_def(predict_stub) -> None:
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "multi"
    response = predict_stub.GetModelMetadata(request, timeout=10)
    assert response.model_spec.name == "multi" and response.model_spec.version.value == 1
    packed = response.metadata["signature_def"]
    assert packed.type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    signatures = get_model_metadata_pb2.SignatureDefMap()
    assert packed.Unpack(signatures)  # Unpack checks the type name against tensorflow's class
    signature = signatures.signature_def["serving_default"]
    assert list(signatures.signature_def) == ["serving_default"] and signature.method_name == ""
    assert sorted(signature.inputs) == ["a", "b"] and sorted(signature.outputs) == ["diff", "sum"]
    a = signature.inputs["a"]
    assert a.name == "a" and a.dtype == tf.float32.as_datatype_enum
    assert [d.size for d in a.tensor_shape.dim] == [1, -1]  # ranges are reported as -1


def test_model_status_all_and_one(model_stub) -> None:
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "add"
    response = model_stub.GetModelStatus(request, timeout=10)
    rows = [(s.version, s.state, s.status.error_code, s.status.error_message) for s in response.model_version_status]
    assert rows == [(1, 30, 0, "OK"), (2, 30, 0, "OK"), (3, 20, 2, "UNKNOWN")]
    request.model_spec.version.value = 3
    response = model_stub.GetModelStatus(request, timeout=10)
    assert [s.version for s in response.model_version_status] == [3]


def test_reload_config_is_a_noop(model_stub) -> None:
    request = model_management_pb2.ReloadConfigRequest()
    request.config.model_config_list.config.add(name="m", base_path="/models/m", model_platform="openvino")
    response = model_stub.HandleReloadConfigRequest(request, timeout=10)
    assert response.status.error_code == 0 and response.status.error_message == ""
