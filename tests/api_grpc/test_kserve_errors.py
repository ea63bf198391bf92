"""KServe typed `contents`, and error codes/texts, sent with tritonclient's own protobuf classes."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from tritonclient.grpc import service_pb2, service_pb2_grpc

from ovms.errors import Status


@pytest.fixture
def stub(channel: grpc.Channel) -> service_pb2_grpc.GRPCInferenceServiceStub:
    return service_pb2_grpc.GRPCInferenceServiceStub(channel)


def infer_request(model: str = "add", version: str = "", **contents: list) -> service_pb2.ModelInferRequest:
    request = service_pb2.ModelInferRequest(model_name=model, model_version=version)
    for datatype, values in contents.items():
        tensor = request.inputs.add(name="x", datatype=datatype.upper(), shape=[1, len(values)])
        field = {"FP32": "fp32_contents", "FP64": "fp64_contents", "INT8": "int_contents", "INT32": "int_contents",
                 "INT64": "int64_contents", "UINT16": "uint_contents", "UINT64": "uint64_contents",
                 "BOOL": "bool_contents"}[datatype.upper()]
        getattr(tensor.contents, field).extend(values)
    return request


def rpc_error(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=10)
    return info.value


def output(response: service_pb2.ModelInferResponse, dtype: type) -> np.ndarray:
    return np.frombuffer(response.raw_output_contents[0], dtype=dtype).reshape(tuple(response.outputs[0].shape))


@pytest.mark.parametrize(
    ("datatype", "dtype", "values"),
    [
        ("fp32", np.float32, [1.5, -2.0, 3.25]),
        ("fp64", np.float64, [1e300, -2.0, 0.5]),
        ("int8", np.int8, [-128, 0, 126]),
        ("int32", np.int32, [-5, 0, 7]),
        ("int64", np.int64, [-(2**40), 0, 2**40]),
        ("uint16", np.uint16, [0, 65534, 7]),
        ("uint64", np.uint64, [0, 2**63, 7]),
        ("bool", np.bool_, [True, False, True]),
    ],
)
def test_typed_contents(stub, datatype: str, dtype: type, values: list) -> None:
    response = stub.ModelInfer(infer_request(**{datatype: values}), timeout=10)
    x = np.array([values], dtype=dtype)
    expected = np.logical_not(x) if dtype is np.bool_ else x + dtype(1)
    np.testing.assert_array_equal(output(response, dtype), expected)


def test_bytes_contents(stub) -> None:
    request = service_pb2.ModelInferRequest(model_name="echo")
    request.inputs.add(name="text", datatype="BYTES", shape=[2]).contents.bytes_contents.extend([b"hi", b"yo"])
    response = stub.ModelInfer(request, timeout=10)
    assert response.raw_output_contents[0] == b"\x02\x00\x00\x00HI\x02\x00\x00\x00YO"


def test_mixing_contents_and_raw_is_rejected(stub) -> None:
    request = infer_request(fp32=[1.0, 2.0, 3.0])
    request.raw_input_contents.append(np.ones(3, np.float32).tobytes())
    err = rpc_error(stub.ModelInfer, request)
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    details = "Detected buffer in InferInputTensor contents for input: x"
    assert err.details() == f"{Status.INVALID_MESSAGE_STRUCTURE.message} - {details}"


@pytest.mark.parametrize(
    ("request_", "code", "text"),
    [
        (infer_request("nope", fp32=[1.0]), grpc.StatusCode.NOT_FOUND,
         "Mediapipe graph definition with requested name is not found"),
        (infer_request("add", "abc", fp32=[1.0]), grpc.StatusCode.INVALID_ARGUMENT,
         "invalid model version format in request"),
        (infer_request("add", "1.5", fp32=[1.0]), grpc.StatusCode.INVALID_ARGUMENT,
         "invalid model version format in request"),
        (infer_request("add", "9", fp32=[1.0]), grpc.StatusCode.NOT_FOUND, "Model with requested version is not found"),
    ],
)
def test_infer_errors(stub, request_, code, text) -> None:
    err = rpc_error(stub.ModelInfer, request_)
    assert (err.code(), err.details()) == (code, text)


def test_unknown_datatype(stub) -> None:
    request = service_pb2.ModelInferRequest(model_name="add")
    request.inputs.add(name="x", datatype="BF16", shape=[1, 3])
    request.raw_input_contents.append(b"\x00" * 6)
    err = rpc_error(stub.ModelInfer, request)
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == "Invalid input precision - Unsupported datatype: BF16; input name: x"


def test_truncated_bytes_buffer(stub) -> None:
    request = service_pb2.ModelInferRequest(model_name="echo")
    request.inputs.add(name="text", datatype="BYTES", shape=[1])
    request.raw_input_contents.append(b"\x05\x00\x00\x00abc")  # says 5 bytes, carries 3
    err = rpc_error(stub.ModelInfer, request)
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == (
        "Inputs inside buffer does not match expected format. - BYTES data is not a sequence of 4-byte "
        "length-prefixed elements; input name: text"
    )


def test_model_ready_and_metadata_errors(stub) -> None:
    err = rpc_error(stub.ModelReady, service_pb2.ModelReadyRequest(name="nope"))
    assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, "Model with requested name is not found")
    err = rpc_error(stub.ModelReady, service_pb2.ModelReadyRequest(name="add", version="x1"))
    assert (err.code(), err.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "invalid model version format in request")
    err = rpc_error(stub.ModelMetadata, service_pb2.ModelMetadataRequest(name="add", version="8"))
    assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, "Model with requested version is not found")


def test_model_stream_infer_is_unimplemented(stub) -> None:
    responses = stub.ModelStreamInfer(iter([infer_request(fp32=[1.0])]), timeout=10)
    with pytest.raises(grpc.RpcError) as info:
        list(responses)
    assert info.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert info.value.details() == "ModelStreamInfer is not implemented by this server"
