"""KServe v2 tensors: ``InferInputTensor`` / raw buffers <-> domain tensors, datatypes <-> Precision.

Requests carry data either in each input's typed ``contents`` or in the request-level
``raw_input_contents`` (one entry per input, same order), never both. Raw buffers go to the core
as ``InputTensor.buffer`` untouched, except BYTES, whose elements are each prefixed with a 4-byte
little-endian length and are split here. FP16 can only travel raw (there is no typed field).

Responses put every output in ``raw_output_contents`` (BYTES length-prefixed the same way).
"""

from __future__ import annotations

import numpy as np

from ovms.api_grpc.generated.kserve.grpc_service_pb2 import (
    InferTensorContents,
    ModelInferRequest,
)
from ovms.errors import OvmsError, Status
from ovms.strings import join_length_prefixed, split_length_prefixed
from ovms.types import InputTensor, Precision

_PRECISION_BY_DATATYPE: dict[str, Precision] = {
    "FP64": Precision.FP64,
    "FP32": Precision.FP32,
    "FP16": Precision.FP16,
    "INT64": Precision.I64,
    "INT32": Precision.I32,
    "INT16": Precision.I16,
    "INT8": Precision.I8,
    "UINT64": Precision.U64,
    "UINT32": Precision.U32,
    "UINT16": Precision.U16,
    "UINT8": Precision.U8,
    "BOOL": Precision.BOOL,
    "BYTES": Precision.STRING,
}
_DATATYPE_BY_PRECISION: dict[Precision, str] = {p: d for d, p in _PRECISION_BY_DATATYPE.items()}

# Typed contents field of each precision; FP16 has none (raw only).
_CONTENTS_FIELD: dict[Precision, str] = {
    Precision.BOOL: "bool_contents",
    Precision.I8: "int_contents",
    Precision.I16: "int_contents",
    Precision.I32: "int_contents",
    Precision.I64: "int64_contents",
    Precision.U8: "uint_contents",
    Precision.U16: "uint_contents",
    Precision.U32: "uint_contents",
    Precision.U64: "uint64_contents",
    Precision.FP32: "fp32_contents",
    Precision.FP64: "fp64_contents",
}
_CONTAINER_DTYPE: dict[str, np.dtype] = {
    "bool_contents": np.dtype(np.bool_),
    "int_contents": np.dtype(np.int32),
    "int64_contents": np.dtype(np.int64),
    "uint_contents": np.dtype(np.uint32),
    "uint64_contents": np.dtype(np.uint64),
    "fp32_contents": np.dtype(np.float32),
    "fp64_contents": np.dtype(np.float64),
}


def to_precision(datatype: str) -> Precision:
    """The precision of a KServe datatype name; unknown names raise INVALID_PRECISION."""
    try:
        return _PRECISION_BY_DATATYPE[datatype]
    except KeyError:
        raise OvmsError(Status.INVALID_PRECISION, f"Unsupported datatype: {datatype}") from None


def from_precision(precision: Precision) -> str:
    """The KServe datatype name of a precision (BYTES for STRING)."""
    return _DATATYPE_BY_PRECISION[precision]


def to_input_tensor(tensor: ModelInferRequest.InferInputTensor, raw: bytes | None) -> InputTensor:
    """An :class:`InputTensor` from one request input and its raw buffer (None: use ``contents``)."""
    try:
        precision = to_precision(tensor.datatype)
    except OvmsError as exc:
        raise OvmsError(exc.status, f"{exc.details}; input name: {tensor.name}") from None
    shape = tuple(tensor.shape)
    if raw is None:
        return InputTensor(precision, shape, values=to_values(tensor.contents, precision))
    if precision is Precision.STRING:
        return InputTensor(precision, shape, values=split_bytes(raw, tensor.name))
    return InputTensor(precision, shape, buffer=raw)


def to_values(contents: InferTensorContents, precision: Precision) -> np.ndarray:
    """Flat numpy values of the typed field for ``precision`` (empty for FP16: raw only)."""
    if precision is Precision.STRING:
        return np.array(contents.bytes_contents, dtype=object)
    field = _CONTENTS_FIELD.get(precision)
    if field is None:
        return np.empty(0, dtype=precision.dtype)
    values = np.array(getattr(contents, field), dtype=_CONTAINER_DTYPE[field])
    # int/uint containers carry narrower integers; astype wraps out-of-range values like a C cast.
    return values if values.dtype == precision.dtype else values.astype(precision.dtype)


def split_bytes(raw: bytes, name: str) -> np.ndarray:
    """BYTES elements of a raw buffer (each preceded by a uint32 LE length) as an object array."""
    try:
        elements = split_length_prefixed(raw)
    except ValueError:
        raise _bad_bytes(name) from None
    result = np.empty(len(elements), dtype=object)
    result[:] = elements
    return result


def _bad_bytes(name: str) -> OvmsError:
    return OvmsError(
        Status.INVALID_INPUT_FORMAT,
        f"BYTES data is not a sequence of 4-byte length-prefixed elements; input name: {name}",
    )


def from_array(array: np.ndarray) -> tuple[str, list[int], bytes]:
    """(datatype, shape, raw bytes) of an output array for ``raw_output_contents``."""
    precision = Precision.from_dtype(array.dtype)
    if precision is Precision.STRING:
        return from_precision(precision), list(array.shape), join_length_prefixed(array)
    return from_precision(precision), list(array.shape), array.tobytes()
