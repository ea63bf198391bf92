"""TF Serving tensors: ``TensorProto`` <-> domain tensors, ``DataType`` <-> :class:`Precision`.

Requests: ``tensor_content`` is handed to the core as ``InputTensor.buffer`` unchanged (the
``bytes`` protobuf gives us, with no further copy or interpretation); otherwise the typed ``*_val`` field that belongs to the declared dtype becomes
``InputTensor.values`` (one numpy conversion, no Python loop over elements). Which field that is
follows TensorFlow's ``make_tensor_proto``: ``int_val`` for I8/I16/I32/U8/U16 and ``half_val`` (FP16
bit patterns in an int32 container) for FP16.

Responses: numeric outputs go in ``tensor_content`` (``arr.tobytes()``), strings in ``string_val``,
as OVMS does.
"""

from __future__ import annotations

import numpy as np

from ovms.api_grpc.generated.tf import tensor_pb2
from ovms.api_grpc.generated.tf.tensor_pb2 import (
    DataType,
    TensorProto,
    TensorShapeProto,
)
from ovms.errors import OvmsError, Status
from ovms.strings import string_elements
from ovms.types import InputTensor, Precision

_PAIRS: tuple[tuple[DataType, Precision], ...] = (
    (DataType.DT_FLOAT, Precision.FP32),
    (DataType.DT_DOUBLE, Precision.FP64),
    (DataType.DT_HALF, Precision.FP16),
    (DataType.DT_INT8, Precision.I8),
    (DataType.DT_INT16, Precision.I16),
    (DataType.DT_INT32, Precision.I32),
    (DataType.DT_INT64, Precision.I64),
    (DataType.DT_UINT8, Precision.U8),
    (DataType.DT_UINT16, Precision.U16),
    (DataType.DT_UINT32, Precision.U32),
    (DataType.DT_UINT64, Precision.U64),
    (DataType.DT_BOOL, Precision.BOOL),
    (DataType.DT_STRING, Precision.STRING),
)
_PRECISION_BY_DTYPE: dict[int, Precision] = dict(_PAIRS)
_DTYPE_BY_PRECISION: dict[Precision, DataType] = {p: d for d, p in _PAIRS}

# Typed field holding each precision's values, and the numpy dtype of that field's container.
_TYPED_FIELD: dict[Precision, tuple[str, np.dtype]] = {
    Precision.FP32: ("float_val", np.dtype(np.float32)),
    Precision.FP64: ("double_val", np.dtype(np.float64)),
    Precision.FP16: ("half_val", np.dtype(np.int32)),
    Precision.I8: ("int_val", np.dtype(np.int32)),
    Precision.I16: ("int_val", np.dtype(np.int32)),
    Precision.I32: ("int_val", np.dtype(np.int32)),
    Precision.U8: ("int_val", np.dtype(np.int32)),
    Precision.U16: ("int_val", np.dtype(np.int32)),
    Precision.I64: ("int64_val", np.dtype(np.int64)),
    Precision.U32: ("uint32_val", np.dtype(np.uint32)),
    Precision.U64: ("uint64_val", np.dtype(np.uint64)),
    Precision.BOOL: ("bool_val", np.dtype(np.bool_)),
}


def to_precision(dtype: int) -> Precision:
    """The precision of a ``DataType`` value; unsupported types raise INVALID_PRECISION."""
    try:
        return _PRECISION_BY_DTYPE[dtype]
    except KeyError:
        name = DataType.Name(dtype) if dtype in DataType.values() else str(dtype)
        raise OvmsError(Status.INVALID_PRECISION, f"Unsupported data type: {name}") from None


def from_precision(precision: Precision) -> DataType:
    """The ``DataType`` value of a precision (DT_STRING for STRING)."""
    return _DTYPE_BY_PRECISION[precision]


def to_shape(shape: TensorShapeProto) -> tuple[int, ...]:
    """Dimension sizes of a ``TensorShapeProto``."""
    return tuple(dim.size for dim in shape.dim)


def from_shape(shape: tuple[int, ...] | list[int], out: TensorShapeProto) -> None:
    """Fill ``out`` with the dimension sizes of ``shape``."""
    for size in shape:
        out.dim.add().size = size


def to_input_tensor(proto: TensorProto, name: str, content: memoryview | None = None) -> InputTensor:
    """An :class:`InputTensor` from a request ``TensorProto`` (``name`` is for error texts).

    ``content``: its ``tensor_content`` when that was taken out of the message as a view
    (:func:`ovms.api_grpc.tfs_messages.parse_predict`). ``tensor_content`` wins when present. Without it the typed field of the declared dtype is
    used; when that is empty too, an empty buffer (or, for value-counted types, an empty array)
    is passed so the core reports the size mismatch in OVMS's words.
    """
    try:
        precision = to_precision(proto.dtype)
    except OvmsError as exc:
        raise OvmsError(exc.status, f"{exc.details}; input name: {name}") from None
    shape = to_shape(proto.tensor_shape)
    if content is None:
        content = proto.tensor_content  # each access copies out of the message: read it once
    if content:
        return InputTensor(precision, shape, buffer=content)
    values = _typed_values(proto, precision)
    if values.size == 0 and precision not in (Precision.FP16, Precision.U16, Precision.STRING):
        # OVMS counts bytes of tensor_content for these types ("Invalid content size").
        return InputTensor(precision, shape, buffer=b"")
    return InputTensor(precision, shape, values=values)


def _typed_values(proto: TensorProto, precision: Precision) -> np.ndarray:
    """Values of the typed field for ``precision`` as a flat numpy array of its dtype."""
    if precision is Precision.STRING:
        return np.array(proto.string_val, dtype=object)
    field, container = _TYPED_FIELD[precision]
    values = np.array(getattr(proto, field), dtype=container)
    if precision is Precision.FP16:
        return values.astype(np.uint16).view(np.float16)  # bit patterns, not numbers
    # int_val carries narrower integers; astype wraps out-of-range values as a C++ cast would.
    return values if container == precision.dtype else values.astype(precision.dtype)


def from_array(array: np.ndarray, out: TensorProto | None = None) -> TensorProto:
    """A response ``TensorProto`` for an output array (filled into ``out`` when given)."""
    proto = tensor_pb2.TensorProto() if out is None else out
    precision = Precision.from_dtype(array.dtype)
    proto.dtype = from_precision(precision)
    from_shape(array.shape, proto.tensor_shape)
    if precision is Precision.STRING:
        proto.string_val.extend(string_elements(array))
    else:
        proto.tensor_content = array.tobytes()  # C order, little-endian on supported hosts
    return proto
