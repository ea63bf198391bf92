"""Domain results -> TF Serving REST JSON: predict responses, model status and metadata.

Status and metadata follow the protobuf JSON OVMS prints (metadata in camelCase with int64 values
as strings). Predict responses follow TF Serving's ``MakeJsonFromTensors``: row requests get
``predictions``, column requests ``outputs``; STRING outputs are text, or ``{"b64": ...}`` objects
for outputs whose name ends in ``_bytes``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ovms.api_rest import rest_errors as texts
from ovms.api_rest.dtypes import TFS_DTYPE, TFS_JSON_OUTPUTS
from ovms.api_rest.jsonio import dumps
from ovms.api_rest.rest_errors import RestError
from ovms.api_rest.tensors import bytes_to_b64, bytes_to_text
from ovms.api_rest.tfs_request import Order
from ovms.errors import OvmsError, Status
from ovms.types import ModelMetadata, Precision, TensorSpec, VersionStatus

_SIGNATURE_MAP_TYPE = "type.googleapis.com/tensorflow.serving.SignatureDefMap"


def predict_body(outputs: dict[str, np.ndarray], order: Order) -> bytes:
    """The predict response body for ``outputs`` in the request's ``order``."""
    values = {name: _json_ready(name, array) for name, array in outputs.items()}
    if order == "column":
        if len(values) == 1:
            return dumps({"outputs": next(iter(values.values()))})
        return dumps({"outputs": values})
    return dumps({"predictions": _rows(values)})


def _json_ready(name: str, array: np.ndarray) -> np.ndarray:
    """Reject precisions TFS REST cannot print; render STRING outputs as text or b64 objects."""
    try:
        precision = Precision.from_dtype(array.dtype)
    except KeyError:
        precision = None
    if precision not in TFS_JSON_OUTPUTS:
        raise OvmsError(Status.UNSUPPORTED_PRECISION)
    if precision is Precision.STRING:
        return bytes_to_b64(array) if name.endswith("_bytes") else bytes_to_text(array)
    return array


def _rows(values: dict[str, np.ndarray]) -> Any:
    """One entry per batch element; several outputs must agree on dimension 0."""
    batches = {array.shape[0] if array.ndim else -1 for array in values.values()}
    if -1 in batches or len(batches) != 1:
        raise RestError(texts.RESPONSE_TO_JSON, Status.INTERNAL_ERROR)
    if len(values) == 1:
        return next(iter(values.values()))
    (batch,) = batches
    return [{name: array[i] for name, array in values.items()} for i in range(batch)]


def status_json(statuses: list[VersionStatus]) -> dict[str, Any]:
    """GetModelStatusResponse as JSON (``model_version_status``)."""
    return {"model_version_status": [_version_status(s) for s in statuses]}


def _version_status(status: VersionStatus) -> dict[str, Any]:
    return {
        "version": str(status.version),
        "state": status.state.name,
        "status": {"error_code": status.error_code.name, "error_message": status.error_message},
    }


def status_body(statuses: list[VersionStatus]) -> bytes:
    return dumps(status_json(statuses))


def config_body(config: dict[str, list[VersionStatus]]) -> bytes:
    """``/v1/config``: every model's status, keyed by name in the given (sorted) order."""
    return dumps({name: status_json(statuses) for name, statuses in config.items()})


def metadata_body(meta: ModelMetadata) -> bytes:
    """GetModelMetadataResponse as OVMS prints it for ``/v1/models/{name}/metadata``."""
    signature = {
        "inputs": {spec.name: _tensor_info(spec) for spec in meta.inputs},
        "outputs": {spec.name: _tensor_info(spec) for spec in meta.outputs},
        "methodName": "",
        "defaults": {},
    }
    return dumps(
        {
            "modelSpec": {"name": meta.name, "signatureName": "", "version": str(meta.version)},
            "metadata": {
                "signature_def": {
                    "@type": _SIGNATURE_MAP_TYPE,
                    "signatureDef": {"serving_default": signature},
                }
            },
        }
    )


def _tensor_info(spec: TensorSpec) -> dict[str, Any]:
    dims = [{"size": str(size), "name": ""} for size in spec.metadata_shape]
    return {
        "dtype": TFS_DTYPE[spec.precision],
        "tensorShape": {"dim": dims, "unknownRank": False},
        "name": spec.name,
    }
