"""Request bodies for each protocol, built once per model and replayed by the load tools.

gRPC bodies are framed as on the wire (1-byte compression flag, 4-byte big-endian length, the
serialized message), so h2load can send them as plain HTTP/2 POST data. REST bodies are the JSON
(and, for the KServe binary extension, JSON plus raw tensor bytes) a client would send.
Each payload is checked once with a real request before it is measured (:func:`probe`).
"""

from __future__ import annotations

import struct
import urllib.request
from dataclasses import dataclass
from typing import Literal

import grpc
import numpy as np
import orjson

from ovms.api_grpc.generated.kserve.grpc_service_pb2 import (
    ModelInferRequest,
    ModelInferResponse,
)
from ovms.api_grpc.generated.tf.tensor_pb2 import DataType
from ovms.api_grpc.generated.tfs.predict_pb2 import PredictRequest, PredictResponse

Protocol = Literal["tfs-grpc", "kserve-grpc", "tfs-rest", "kserve-rest", "kserve-rest-bin"]
PROTOCOLS: tuple[Protocol, ...] = ("tfs-grpc", "kserve-grpc", "tfs-rest", "kserve-rest", "kserve-rest-bin")
GRPC_HEADERS = (("content-type", "application/grpc"), ("te", "trailers"))
HEADER_LENGTH = "Inference-Header-Content-Length"


@dataclass(frozen=True)
class Payload:
    """One request, ready to replay: HTTP/2 (gRPC) or HTTP/1.1 (REST) POST to ``path``."""

    protocol: Protocol
    path: str
    body: bytes
    headers: tuple[tuple[str, str], ...]

    @property
    def transport(self) -> Literal["grpc", "rest"]:
        return "grpc" if self.protocol.endswith("grpc") else "rest"


@dataclass(frozen=True)
class Response:
    """What the server answered to a probe: the body as the load tool sees it, and extra headers."""

    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def sample_input(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """FP32 values in [0, 1) with at most 4 decimals (as normalised image data)."""
    return _json_values(np.random.default_rng(seed).random(shape)).astype(np.float32)


def _json_values(array: np.ndarray) -> np.ndarray:
    """The same values as float64 rounded to 4 decimals: JSON text "0.1234", ~7 bytes per value.

    (float32 values printed as JSON would take ~19 bytes each: "0.12340000271797180".)
    """
    return np.round(array.astype(np.float64), 4)


def build(protocol: Protocol, model: str, input_name: str, output_name: str, array: np.ndarray) -> Payload:
    """The request for ``protocol`` that sends ``array`` as ``input_name`` of ``model``."""
    builders = {
        "tfs-grpc": _tfs_grpc,
        "kserve-grpc": _kserve_grpc,
        "tfs-rest": _tfs_rest,
        "kserve-rest": _kserve_rest,
        "kserve-rest-bin": _kserve_rest_bin,
    }
    return builders[protocol](model, input_name, output_name, array)


def frame(message: bytes) -> bytes:
    """gRPC length-prefixed message: uncompressed flag + 4-byte big-endian length."""
    return struct.pack(">BI", 0, len(message)) + message


def _tfs_grpc(model: str, input_name: str, output_name: str, array: np.ndarray) -> Payload:
    request = PredictRequest()
    request.model_spec.name = model
    tensor = request.inputs[input_name]
    tensor.dtype = DataType.DT_FLOAT
    for size in array.shape:
        tensor.tensor_shape.dim.add().size = size
    tensor.tensor_content = array.tobytes()
    path = "/tensorflow.serving.PredictionService/Predict"
    return Payload("tfs-grpc", path, frame(request.SerializeToString()), GRPC_HEADERS)


def _kserve_grpc(model: str, input_name: str, output_name: str, array: np.ndarray) -> Payload:
    request = ModelInferRequest(model_name=model)
    request.inputs.add(name=input_name, datatype="FP32", shape=list(array.shape))
    request.raw_input_contents.append(array.tobytes())
    path = "/inference.GRPCInferenceService/ModelInfer"
    return Payload("kserve-grpc", path, frame(request.SerializeToString()), GRPC_HEADERS)


def _tfs_rest(model: str, input_name: str, output_name: str, array: np.ndarray) -> Payload:
    body = orjson.dumps({"instances": _json_values(array).tolist()})  # row format, the model's only input
    return Payload("tfs-rest", f"/v1/models/{model}:predict", body, (("Content-Type", "application/json"),))


def _kserve_rest(model: str, input_name: str, output_name: str, array: np.ndarray) -> Payload:
    doc = {"inputs": [{"name": input_name, "shape": list(array.shape), "datatype": "FP32",
                       "data": _json_values(array).reshape(-1).tolist()}]}
    return Payload("kserve-rest", f"/v2/models/{model}/infer", orjson.dumps(doc),
                   (("Content-Type", "application/json"),))


def _kserve_rest_bin(model: str, input_name: str, output_name: str, array: np.ndarray) -> Payload:
    raw = array.tobytes()
    doc = {
        "inputs": [{"name": input_name, "shape": list(array.shape), "datatype": "FP32",
                    "parameters": {"binary_data_size": len(raw)}}],
        "outputs": [{"name": output_name, "parameters": {"binary_data": True}}],
    }
    header = orjson.dumps(doc)
    headers = (("Content-Type", "application/octet-stream"), (HEADER_LENGTH, str(len(header))))
    return Payload("kserve-rest-bin", f"/v2/models/{model}/infer", header + raw, headers)


def probe(payload: Payload, host: str, port: int, timeout: float = 60.0) -> Response:
    """Send ``payload`` once with a Python client; raise unless the server answered with success."""
    if payload.transport == "grpc":
        return _probe_grpc(payload, host, port, timeout)
    return _probe_rest(payload, host, port, timeout)


def _probe_grpc(payload: Payload, host: str, port: int, timeout: float) -> Response:
    options = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
    with grpc.insecure_channel(f"{host}:{port}", options=options) as channel:
        call = channel.unary_unary(payload.path)  # no (de)serializers: raw bytes both ways
        raw = call(payload.body[5:], timeout=timeout)
    reply_type = PredictResponse if payload.protocol == "tfs-grpc" else ModelInferResponse
    reply_type.FromString(raw)  # a valid answer of the expected type, not just any bytes
    return Response(frame(raw))


def _probe_rest(payload: Payload, host: str, port: int, timeout: float) -> Response:
    request = urllib.request.Request(f"http://{host}:{port}{payload.path}", data=payload.body,
                                     headers=dict(payload.headers), method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as reply:  # raises on 4xx/5xx
        body = reply.read()
        length = reply.headers.get(HEADER_LENGTH)
    orjson.loads(body if length is None else body[: int(length)])
    return Response(body, () if length is None else ((HEADER_LENGTH, length),))
