"""Domain results -> KServe v2 REST JSON, with binary outputs appended after the JSON."""

from __future__ import annotations

from typing import Any

import numpy as np

from ovms.api_rest.dtypes import KSERVE_DATATYPE, KSERVE_JSON_OUTPUTS
from ovms.api_rest.jsonio import dumps
from ovms.api_rest.kserve_request import KServeInfer
from ovms.api_rest.tensors import bytes_to_text, little_endian
from ovms.strings import join_length_prefixed
from ovms.errors import OvmsError, Status
from ovms.types import InferResponse, ModelMetadata, Precision, TensorSpec

PLATFORM = "OpenVINO"


def infer_body(response: InferResponse, request: KServeInfer) -> tuple[bytes, int | None]:
    """The response body and, when binary outputs follow the JSON, the JSON's length.

    The length goes in the ``Inference-Header-Content-Length`` response header.
    """
    header: dict[str, Any] = {
        "model_name": response.model_name,
        "id": response.id or request.id,
        "model_version": str(response.version),
    }
    if response.parameters:
        header["parameters"] = response.parameters
    outputs: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for name, array in response.outputs.items():
        binary = request.wants_binary(name)
        outputs.append(_output(name, array, blobs if binary else None))
    header["outputs"] = outputs
    body = dumps(header)
    if not blobs:
        return body, None
    return body + b"".join(blobs), len(body)


def _output(name: str, array: np.ndarray, blobs: list[bytes] | None) -> dict[str, Any]:
    """One output entry; with ``blobs`` its bytes are appended there instead of ``data``."""
    precision = _precision(array)
    entry: dict[str, Any] = {
        "name": name,
        "shape": list(array.shape),
        "datatype": KSERVE_DATATYPE[precision],
    }
    if blobs is not None:
        blob = join_length_prefixed(array) if precision is Precision.STRING else little_endian(array)
        entry["parameters"] = {"binary_data_size": len(blob)}
        blobs.append(blob)
        return entry
    if precision not in KSERVE_JSON_OUTPUTS:
        raise OvmsError(Status.UNSUPPORTED_PRECISION)
    flat = array.reshape(-1)
    entry["data"] = bytes_to_text(flat) if precision is Precision.STRING else flat
    return entry


def _precision(array: np.ndarray) -> Precision:
    try:
        return Precision.from_dtype(array.dtype)
    except KeyError:
        raise OvmsError(Status.UNSUPPORTED_PRECISION) from None


def model_metadata_body(meta: ModelMetadata, versions: list[int]) -> bytes:
    """ModelMetadataResponse as JSON; shapes are integers, -1 for dynamic dimensions."""
    body: dict[str, Any] = {"name": meta.name}
    if versions:  # protobuf JSON omits empty repeated fields
        body["versions"] = [str(v) for v in versions]
    body["platform"] = PLATFORM
    body["inputs"] = [_tensor_metadata(spec) for spec in meta.inputs]
    body["outputs"] = [_tensor_metadata(spec) for spec in meta.outputs]
    return dumps(body)


def _tensor_metadata(spec: TensorSpec) -> dict[str, Any]:
    return {"name": spec.name, "datatype": KSERVE_DATATYPE[spec.precision], "shape": spec.metadata_shape}


def server_metadata_body(name: str, version: str) -> bytes:
    return dumps({"name": name, "version": version})
