"""The same request through all four front doors (TFS gRPC, TFS REST, KServe gRPC, KServe REST)."""

from __future__ import annotations

import grpc
import httpx
import numpy as np
import tritonclient.grpc as tgrpc
import tritonclient.utils as tritonclient_errors
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc


def test_four_front_doors_agree(daemon, specs):
    spec = specs["add_sub"][1]
    inputs = spec.sample_inputs(seed=11)
    expected = spec.expected(inputs)
    answers = [tfs_grpc(daemon, inputs), tfs_rest(daemon, inputs), kserve_grpc(daemon, inputs), kserve_rest(daemon, inputs)]
    for answer in answers:
        assert set(answer) == {"sum", "diff"}
        for key in answer:
            np.testing.assert_allclose(answer[key], expected[key], rtol=1e-6)
            np.testing.assert_array_equal(answer[key], answers[0][key])


def tfs_grpc(daemon, inputs):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "add_sub"
    for name, value in inputs.items():
        proto = request.inputs[name]
        proto.dtype = types_pb2.DT_FLOAT
        proto.tensor_shape.dim.extend([proto.tensor_shape.Dim(size=d) for d in value.shape])
        proto.tensor_content = value.tobytes()
    with grpc.insecure_channel(daemon.grpc_url) as channel:
        response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=30)
    return {k: np.frombuffer(v.tensor_content, np.float32).reshape([d.size for d in v.tensor_shape.dim])
            for k, v in response.outputs.items()}


def tfs_rest(daemon, inputs):
    body = httpx.post(f"{daemon.rest_url}/v1/models/add_sub:predict",
                      json={"inputs": {k: v.tolist() for k, v in inputs.items()}}, timeout=30).json()
    return {k: np.asarray(v, np.float32) for k, v in body["outputs"].items()}


def kserve_grpc(daemon, inputs):
    client = tgrpc.InferenceServerClient(daemon.grpc_url)
    tensors = []
    for name, value in inputs.items():
        tensor = tgrpc.InferInput(name, list(value.shape), "FP32")
        tensor.set_data_from_numpy(value)
        tensors.append(tensor)
    result = client.infer("add_sub", tensors)
    client.close()
    return {k: result.as_numpy(k) for k in ("sum", "diff")}


def kserve_rest(daemon, inputs):
    body = {"inputs": [{"name": k, "shape": list(v.shape), "datatype": "FP32", "data": v.ravel().tolist()}
                       for k, v in inputs.items()]}
    out = httpx.post(f"{daemon.rest_url}/v2/models/add_sub/infer", json=body, timeout=30).json()["outputs"]
    return {o["name"]: np.asarray(o["data"], np.float32).reshape(o["shape"]) for o in out}


def test_an_inference_that_fails_after_it_started_is_answered_on_every_door(daemon, specs):
    """Reshaping 10 values to 3x5 fails inside OpenVINO, not in validation: every front door answers
    OVMS's internal inference error, at once, and the model keeps serving.

    Each door sends a different bad shape: OpenVINO's CPU plugin (2026.4) answers a repeat of the
    previous failed shape values with the last good result (its Reshape skips shape inference for
    values it has seen; upstream openvino#21051 is that family), which is not ours to test.
    """
    x, good = np.arange(10, dtype=np.float32), np.array([2, 5], np.int64)
    bad = np.array([3, 5], np.int64)
    with grpc.insecure_channel(daemon.grpc_url) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            stub.Predict(reshape_request(x, bad), timeout=10)
            raise AssertionError("the failing inference was answered OK")
        except grpc.RpcError as err:
            assert (err.code(), err.details()) == (grpc.StatusCode.INTERNAL, "Internal inference error")
        response = stub.Predict(reshape_request(x, good), timeout=10)
    y = np.frombuffer(response.outputs["y"].tensor_content, np.float32).reshape(2, 5)
    np.testing.assert_array_equal(y, specs["reshape"][1].expected({"x": x, "shape": good})["y"])
    rest = httpx.post(f"{daemon.rest_url}/v1/models/reshape:predict",
                      json={"inputs": {"x": x.tolist(), "shape": [4, 5]}}, timeout=10)
    assert (rest.status_code, rest.json()) == (500, {"error": "Internal inference error"})
    client = tgrpc.InferenceServerClient(daemon.grpc_url)
    tensors = [tgrpc.InferInput("x", [10], "FP32"), tgrpc.InferInput("shape", [2], "INT64")]
    tensors[0].set_data_from_numpy(x)
    tensors[1].set_data_from_numpy(np.array([3, 4], np.int64))
    try:
        client.infer("reshape", tensors, client_timeout=10)
        raise AssertionError("the failing inference was answered OK")
    except tritonclient_errors.InferenceServerException as err:
        assert err.status() == "StatusCode.INTERNAL" and err.message() == "Internal inference error"
    finally:
        client.close()
    body = {"inputs": [{"name": "x", "shape": [10], "datatype": "FP32", "data": x.tolist()},
                       {"name": "shape", "shape": [2], "datatype": "INT64", "data": [6, 5]}]}
    rest = httpx.post(f"{daemon.rest_url}/v2/models/reshape/infer", json=body, timeout=10)
    assert (rest.status_code, rest.json()) == (500, {"error": "Internal inference error"})


def reshape_request(x, shape):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "reshape"
    for name, value, dtype in (("x", x, types_pb2.DT_FLOAT), ("shape", shape, types_pb2.DT_INT64)):
        shape_proto = {"dim": [{"size": d} for d in value.shape]}
        request.inputs[name].CopyFrom(
            tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape_proto, tensor_content=value.tobytes()))
    return request


def test_string_tensors_round_trip_on_every_door(daemon):
    """A STRING model (identity) gets the same bytes back through TFS and KServe, gRPC and REST."""
    words = [b"ab", "c\u00e9".encode(), b"", b"x" * 300]
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "strings"
    request.inputs["text"].CopyFrom(tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING, tensor_shape={"dim": [{"size": len(words)}]}, string_val=words))
    with grpc.insecure_channel(daemon.grpc_url) as channel:
        response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=10)
    assert response.outputs["text_out"].dtype == types_pb2.DT_STRING
    assert list(response.outputs["text_out"].string_val) == words
    client = tgrpc.InferenceServerClient(daemon.grpc_url)
    tensor = tgrpc.InferInput("text", [len(words)], "BYTES")
    tensor.set_data_from_numpy(np.array(words, dtype=object))
    try:
        assert client.infer("strings", [tensor], client_timeout=10).as_numpy("text_out").tolist() == words
    finally:
        client.close()
    texts = [w.decode() for w in words]
    rest = httpx.post(f"{daemon.rest_url}/v1/models/strings:predict", json={"instances": texts}, timeout=10)
    assert rest.status_code == 200, rest.text
    assert rest.json() == {"predictions": texts}
    body = {"inputs": [{"name": "text", "shape": [len(texts)], "datatype": "BYTES", "data": texts}]}
    rest = httpx.post(f"{daemon.rest_url}/v2/models/strings/infer", json=body, timeout=10)
    assert rest.status_code == 200, rest.text
    assert rest.json()["outputs"][0]["data"] == texts
