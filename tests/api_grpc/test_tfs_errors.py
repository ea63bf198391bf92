"""Error codes and exact texts of the TFS services, seen by the real stubs and a raw channel."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from tests.api_grpc.fake_dataplane import SECRET


@pytest.fixture
def stub(channel: grpc.Channel) -> prediction_service_pb2_grpc.PredictionServiceStub:
    return prediction_service_pb2_grpc.PredictionServiceStub(channel)


def rpc_error(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=10)
    return info.value


def predict(model: str, version: int | None = None) -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    if version is not None:
        request.model_spec.version.value = version
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.ones((1, 3), np.float32)))
    return request


def test_unknown_model_predict_is_pipeline_missing(stub) -> None:
    err = rpc_error(stub.Predict, predict("nope"))
    assert err.code() is grpc.StatusCode.NOT_FOUND
    assert err.details() == "Pipeline with requested name is not found"


def test_unknown_version(stub) -> None:
    err = rpc_error(stub.Predict, predict("add", version=7))
    assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, "Model with requested version is not found")


def test_unsupported_dtype_is_invalid_precision(stub) -> None:
    request = predict("add")
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.ones((1, 3), np.complex64)))
    err = rpc_error(stub.Predict, request)
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == "Invalid input precision - Unsupported data type: DT_COMPLEX64; input name: x"


def test_unexpected_exception_is_internal_without_details(stub, caplog: pytest.LogCaptureFixture) -> None:
    err = rpc_error(stub.Predict, predict("boom"))
    assert (err.code(), err.details()) == (grpc.StatusCode.INTERNAL, "Internal server error")
    assert SECRET not in (err.debug_error_string() or "")
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)  # logged server-side


@pytest.mark.parametrize(
    ("fields", "code", "text"),
    [
        ({"metadata_field": ["signature_def"]}, grpc.StatusCode.INVALID_ARGUMENT, "model_spec missing in request"),
        ({"model_spec": {"name": "add"}}, grpc.StatusCode.INVALID_ARGUMENT, "Invalid signature name"),
        (
            {"model_spec": {"name": "add"}, "metadata_field": ["signature_def", "x"]},
            grpc.StatusCode.INVALID_ARGUMENT,
            "Invalid signature name",
        ),
        (
            {"model_spec": {"name": "nope"}, "metadata_field": ["signature_def"]},
            grpc.StatusCode.NOT_FOUND,
            "Model with requested name is not found",
        ),
    ],
)
def test_metadata_errors(stub, fields, code, text) -> None:
    err = rpc_error(stub.GetModelMetadata, get_model_metadata_pb2.GetModelMetadataRequest(**fields))
    assert (err.code(), err.details()) == (code, text)


def test_status_errors(channel: grpc.Channel) -> None:
    stub = model_service_pb2_grpc.ModelServiceStub(channel)
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "nope"
    err = rpc_error(stub.GetModelStatus, request)
    assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, "Model with requested name is not found")
    request.model_spec.name = "add"
    request.model_spec.version.value = 9
    err = rpc_error(stub.GetModelStatus, request)
    assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, "Model with requested version is not found")


@pytest.mark.parametrize("method", ["Classify", "Regress", "MultiInference"])
def test_unimplemented_methods(stub, method: str) -> None:
    err = rpc_error(getattr(stub, method), classification_pb2.ClassificationRequest())
    assert err.code() is grpc.StatusCode.UNIMPLEMENTED
    assert err.details() == f"{method} is not implemented by this server"


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("/tensorflow.serving.PredictionService/Predict", "PredictRequest"),
        ("/tensorflow.serving.PredictionService/GetModelMetadata", "GetModelMetadataRequest"),
        ("/tensorflow.serving.ModelService/GetModelStatus", "GetModelStatusRequest"),
        ("/inference.GRPCInferenceService/ModelInfer", "ModelInferRequest"),
    ],
)
def test_malformed_protobuf_is_invalid_argument(channel: grpc.Channel, method: str, name: str) -> None:
    call = channel.unary_unary(method)  # no serializers: send raw bytes
    err = rpc_error(call, b"\x0a\xff\xff\xff")
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == f"Invalid {name} message: it could not be parsed as protobuf"
