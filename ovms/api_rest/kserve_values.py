"""KServe JSON values: ``parameters`` objects and typed tensor ``data`` arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from ovms.api_rest import rest_errors as texts
from ovms.api_rest.rest_errors import RestError
from ovms.api_rest.tensors import NotAnArray, blobs_array
from ovms.types import Precision

# JSON number kinds (numpy dtype.kind) each datatype accepts, as OVMS's IsNumber/IsInt/IsUint/IsBool.
_ACCEPTED_KINDS: dict[Precision, str] = {
    Precision.FP32: "iuf",
    Precision.FP64: "iuf",
    Precision.I8: "iu",
    Precision.I16: "iu",
    Precision.I32: "iu",
    Precision.I64: "iu",
    Precision.U8: "iu",
    Precision.U16: "iu",
    Precision.U32: "iu",
    Precision.U64: "iu",
    Precision.BOOL: "b",
}
_UNSIGNED = frozenset({Precision.U8, Precision.U16, Precision.U32, Precision.U64})


def parameters(node: Any) -> dict[str, object]:
    """A ``parameters`` object; values must be strings, booleans or integers (OVMS's rule)."""
    if node is None:
        return {}
    if type(node) is not dict:
        raise RestError(texts.PARAMETERS_NOT_PARSED)
    for value in node.values():
        if type(value) not in (str, bool, int):
            raise RestError(texts.PARAMETERS_NOT_PARSED)
    return node


def data_values(data: Any, precision: Precision) -> np.ndarray:
    """Tensor ``data`` (nested or flat) as a flat array of ``precision``'s dtype.

    FP16 cannot travel as JSON data (OVMS accepts it only as binary data). BYTES data are strings
    (or b64 objects) and become an object array of ``bytes``.
    """
    if type(data) is not list or precision is Precision.FP16:
        raise RestError(texts.INPUT_NOT_NDARRAY)
    if precision is Precision.STRING:
        return _blobs(data)
    try:
        array = np.array(data)
    except (ValueError, TypeError, OverflowError):
        raise RestError(texts.INPUT_NOT_NDARRAY) from None
    if array.size == 0:
        return array.reshape(-1).astype(precision.dtype)
    if array.dtype.kind not in _ACCEPTED_KINDS[precision]:
        raise RestError(texts.INPUT_NOT_NDARRAY)
    if precision in _UNSIGNED and array.dtype.kind == "i" and array.min() < 0:
        raise RestError(texts.INPUT_NOT_NDARRAY)
    return array.reshape(-1).astype(precision.dtype, copy=False)


def _blobs(data: list[Any]) -> np.ndarray:
    if not data:
        return np.empty(0, dtype=object)
    try:
        return blobs_array(data).reshape(-1)
    except NotAnArray:
        raise RestError(texts.INPUT_NOT_NDARRAY) from None
