"""TF Serving gRPC API of the real daemon, driven with tensorflow-serving-api's stubs."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

DT = {np.float32: types_pb2.DT_FLOAT, np.float64: types_pb2.DT_DOUBLE, np.int32: types_pb2.DT_INT32}


@pytest.fixture(scope="module")
def stubs(daemon):
    channel = grpc.insecure_channel(daemon.grpc_url)
    yield prediction_service_pb2_grpc.PredictionServiceStub(channel), model_service_pb2_grpc.ModelServiceStub(channel)
    channel.close()


def tensor(array: np.ndarray, dtype=None, shape=None) -> tensor_pb2.TensorProto:
    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in (array.shape if shape is None else shape)]
    return tensor_pb2.TensorProto(
        dtype=dtype or DT[array.dtype.type], tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=dims),
        tensor_content=array.tobytes(),
    )


def predict(stub, name, inputs, version=None):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    if version is not None:
        request.model_spec.version.value = version
    for key, value in inputs.items():
        request.inputs[key].CopyFrom(value if isinstance(value, tensor_pb2.TensorProto) else tensor(value))
    return stub.Predict(request, timeout=30)


def to_numpy(proto: tensor_pb2.TensorProto) -> np.ndarray:
    dtype = {types_pb2.DT_FLOAT: np.float32, types_pb2.DT_DOUBLE: np.float64, types_pb2.DT_INT32: np.int32}[proto.dtype]
    return np.frombuffer(proto.tensor_content, dtype).reshape([d.size for d in proto.tensor_shape.dim])


@pytest.mark.parametrize("name", ["dummy", "add_sub", "saved_model", "tflite", "paddle", "int32", "fp64", "dynamic"])
def test_predict_every_format_matches_numpy(stubs, specs, name):
    spec = specs[name][max(specs[name])]
    inputs = spec.sample_inputs(seed=3)
    response = predict(stubs[0], name, inputs)
    expected = spec.expected(inputs)
    assert set(response.outputs) == set(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(to_numpy(response.outputs[key]), value, rtol=spec.rtol, atol=spec.atol)


def test_large_tensor_content_matches_numpy(stubs, specs):
    # 250 x 250 FP32 = 250 KB: over the size from which tensor_content is read as a view of the message.
    spec = specs["dynamic"][1]
    inputs = spec.sample_inputs(seed=11, dynamic_dim=250)
    extra = tensor(np.ones((1, 1), np.float32))  # an input the model does not have: still an error
    response = predict(stubs[0], "dynamic", inputs)
    np.testing.assert_allclose(to_numpy(response.outputs["y"]), spec.expected(inputs)["y"])
    with pytest.raises(grpc.RpcError) as err:
        predict(stubs[0], "dynamic", {**inputs, "extra": extra})
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    short = tensor(inputs["x"], shape=(250, 251))  # content one row short of its shape
    with pytest.raises(grpc.RpcError) as err:
        predict(stubs[0], "dynamic", {"x": short})
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT and "Invalid content size" in err.value.details()


@pytest.mark.parametrize("version, increment", [(None, 2.0), (0, 2.0), (1, 1.0), (2, 2.0)])
def test_version_selection(stubs, version, increment):
    x = np.arange(10, dtype=np.float32).reshape(1, 10)
    response = predict(stubs[0], "dummy", {"b": x}, version)
    assert np.array_equal(to_numpy(response.outputs["a"]), x + increment)
    assert (response.model_spec.name, response.model_spec.version.value) == ("dummy", int(increment))


def test_typed_value_fields_are_accepted(stubs):
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=list(range(10)))
    proto.tensor_shape.dim.add(size=1)
    proto.tensor_shape.dim.add(size=10)
    out = to_numpy(predict(stubs[0], "dummy", {"b": proto}, 1).outputs["a"])
    assert np.array_equal(out, np.arange(10, dtype=np.float32).reshape(1, 10) + 1)


def test_metadata(stubs):
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "add_sub"
    response = stubs[0].GetModelMetadata(request, timeout=30)
    assert response.model_spec.name == "add_sub" and response.model_spec.version.value == 1
    signatures = get_model_metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(signatures)
    sig = signatures.signature_def["serving_default"]
    assert sorted(sig.inputs) == ["x", "y"] and sorted(sig.outputs) == ["diff", "sum"]
    assert sig.inputs["x"].dtype == types_pb2.DT_FLOAT and [d.size for d in sig.inputs["x"].tensor_shape.dim] == [1, 10]
    request.model_spec.name = "dynamic"
    dyn = get_model_metadata_pb2.SignatureDefMap()
    stubs[0].GetModelMetadata(request, timeout=30).metadata["signature_def"].Unpack(dyn)
    assert [d.size for d in dyn.signature_def["serving_default"].inputs["x"].tensor_shape.dim] == [-1, -1]


def status(stub, name, version=None):
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = name
    if version is not None:
        request.model_spec.version.value = version
    return stub.GetModelStatus(request, timeout=30).model_version_status


def test_status(stubs):
    versions = status(stubs[1], "dummy")
    assert [(v.version, v.state, v.status.error_code, v.status.error_message) for v in versions] == [
        (1, 30, 0, "OK"), (2, 30, 0, "OK")]
    assert [(v.version, v.state) for v in status(stubs[1], "dummy", 1)] == [(1, 30)]
    broken = status(stubs[1], "broken")
    assert [(v.version, v.state, v.status.error_code, v.status.error_message) for v in broken] == [
        (1, 20, 2, "UNKNOWN")]
    assert list(status(stubs[1], "empty")) and status(stubs[1], "empty")[0].status.error_code == 2


def test_reload_config_is_ok(stubs):
    stubs[1].HandleReloadConfigRequest(model_management_pb2.ReloadConfigRequest(), timeout=30)


def expect_error(call, code, message):
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert info.value.code() == code, info.value.details()
    assert info.value.details() == message


X = np.zeros((1, 10), np.float32)
BAD_PREDICTS = [
    ("nope", {"b": X}, None, grpc.StatusCode.NOT_FOUND, "Pipeline with requested name is not found"),
    ("dummy", {"b": X}, 7, grpc.StatusCode.NOT_FOUND, "Model with requested version is not found"),
    ("broken", {"b": X}, None, grpc.StatusCode.NOT_FOUND, "Model with requested version is not found"),
    ("broken", {"b": X}, 1, grpc.StatusCode.UNAVAILABLE, "Model with requested version is not loaded yet"),
    ("dummy", {"b": X, "c": X}, None, grpc.StatusCode.INVALID_ARGUMENT, "Invalid number of inputs - Expected: 1; Actual: 2"),
    ("dummy", {"c": X}, None, grpc.StatusCode.INVALID_ARGUMENT, "Missing input with specific name - Required input: b"),
    ("dummy", {"b": X.astype(np.float64)}, None, grpc.StatusCode.INVALID_ARGUMENT,
     "Invalid input precision - Expected: FP32; Actual: FP64; input name: b"),
    ("dummy", {"b": np.zeros(10, np.float32)}, None, grpc.StatusCode.INVALID_ARGUMENT,
     "Invalid number of shape dimensions - Expected: (1,10); Actual: (10); input name: b"),
    ("dummy", {"b": np.zeros((2, 10), np.float32)}, None, grpc.StatusCode.INVALID_ARGUMENT,
     "Invalid input batch size - Expected: 1; Actual: 2; input name: b"),
    ("dummy", {"b": np.zeros((1, 9), np.float32)}, None, grpc.StatusCode.INVALID_ARGUMENT,
     "Invalid input shape - Expected: (1,10); Actual: (1,9); input name: b"),
    ("dummy", {"b": tensor(np.zeros(3, np.float32), shape=(1, 10))}, None, grpc.StatusCode.INVALID_ARGUMENT,
     "Invalid content size of tensor proto - Expected: 40 bytes; Actual: 12 bytes; input name: b"),
]


@pytest.mark.parametrize("name, inputs, version, code, message", BAD_PREDICTS)
def test_predict_errors(stubs, name, inputs, version, code, message):
    expect_error(lambda: predict(stubs[0], name, inputs, version), code, message)


def test_value_count_and_metadata_errors(stubs):
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0, 2.0])
    proto.tensor_shape.dim.add(size=1)
    proto.tensor_shape.dim.add(size=10)
    expect_error(lambda: predict(stubs[0], "dummy", {"b": proto}), grpc.StatusCode.INVALID_ARGUMENT,
                 "Invalid number of values in tensor proto container - Expected: 10; Actual: 2; input name: b")
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["other"])
    request.model_spec.name = "dummy"
    expect_error(lambda: stubs[0].GetModelMetadata(request), grpc.StatusCode.INVALID_ARGUMENT, "Invalid signature name")
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "nope"
    expect_error(lambda: stubs[0].GetModelMetadata(request), grpc.StatusCode.NOT_FOUND,
                 "Model with requested name is not found")
    expect_error(lambda: status(stubs[1], "nope"), grpc.StatusCode.NOT_FOUND, "Model with requested name is not found")
    expect_error(lambda: status(stubs[1], "dummy", 9), grpc.StatusCode.NOT_FOUND, "Model with requested version is not found")


def test_malformed_protobuf_is_invalid_argument(daemon):
    channel = grpc.insecure_channel(daemon.grpc_url)
    call = channel.unary_unary("/tensorflow.serving.PredictionService/Predict")
    with pytest.raises(grpc.RpcError) as info:
        call(b"\xff\xff\xff\xff garbage", timeout=30)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    channel.close()
