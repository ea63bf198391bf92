"""The same request through all four front doors (TFS gRPC, TFS REST, KServe gRPC, KServe REST)."""

from __future__ import annotations

import grpc
import httpx
import numpy as np
import tritonclient.grpc as tgrpc
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
