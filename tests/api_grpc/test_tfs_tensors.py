"""TensorProto <-> InputTensor / numpy converters (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from ovms.api_grpc.generated.tf.tensor_pb2 import DataType, TensorProto
from ovms.api_grpc.tfs_tensors import (
    from_array,
    from_precision,
    to_input_tensor,
    to_precision,
)
from ovms.errors import OvmsError
from ovms.types import Precision


def proto(dtype: int, shape: list[int], **fields: object) -> TensorProto:
    message = TensorProto(dtype=dtype, **fields)  # type: ignore[arg-type]
    for size in shape:
        message.tensor_shape.dim.add().size = size
    return message


@pytest.mark.parametrize("precision", list(Precision))
def test_precision_roundtrip(precision: Precision) -> None:
    assert to_precision(from_precision(precision)) is precision


def test_unsupported_dtype() -> None:
    with pytest.raises(OvmsError) as info:
        to_input_tensor(proto(DataType.DT_BFLOAT16, [1]), "x")
    assert str(info.value) == "Invalid input precision - Unsupported data type: DT_BFLOAT16; input name: x"
    with pytest.raises(OvmsError, match="Unsupported data type: 77; input name: x"):
        to_input_tensor(proto(77, [1]), "x")


def test_tensor_content_becomes_buffer_untouched() -> None:
    data = np.arange(6, dtype=np.float32).tobytes()
    tensor = to_input_tensor(proto(DataType.DT_FLOAT, [2, 3], tensor_content=data), "x")
    assert (tensor.precision, tensor.shape, tensor.values) == (Precision.FP32, (2, 3), None)
    assert bytes(tensor.buffer) == data  # the core checks its size; the edge does not interpret it


def test_tensor_content_wins_over_typed_fields() -> None:
    tensor = to_input_tensor(proto(DataType.DT_INT32, [1], tensor_content=b"\x01\0\0\0", int_val=[9]), "x")
    assert tensor.buffer == b"\x01\0\0\0" and tensor.values is None


@pytest.mark.parametrize(
    ("dtype", "field", "values", "expected"),
    [
        (DataType.DT_FLOAT, "float_val", [1.5, 2.5], np.array([1.5, 2.5], np.float32)),
        (DataType.DT_DOUBLE, "double_val", [1e300], np.array([1e300], np.float64)),
        (DataType.DT_INT8, "int_val", [-1, 127], np.array([-1, 127], np.int8)),
        (DataType.DT_INT16, "int_val", [-300, 7], np.array([-300, 7], np.int16)),
        (DataType.DT_UINT8, "int_val", [255, 300], np.array([255, 44], np.uint8)),  # wraps like a C cast
        (DataType.DT_UINT16, "int_val", [65535], np.array([65535], np.uint16)),
        (DataType.DT_INT32, "int_val", [-(2**31)], np.array([-(2**31)], np.int32)),
        (DataType.DT_INT64, "int64_val", [2**62], np.array([2**62], np.int64)),
        (DataType.DT_UINT32, "uint32_val", [2**32 - 1], np.array([2**32 - 1], np.uint32)),
        (DataType.DT_UINT64, "uint64_val", [2**64 - 1], np.array([2**64 - 1], np.uint64)),
        (DataType.DT_BOOL, "bool_val", [True, False], np.array([True, False])),
    ],
)
def test_typed_fields_become_values(dtype: int, field: str, values: list, expected: np.ndarray) -> None:
    tensor = to_input_tensor(proto(dtype, [len(values)], **{field: values}), "x")
    assert tensor.buffer is None and tensor.values is not None
    assert tensor.values.dtype == expected.dtype
    np.testing.assert_array_equal(tensor.values, expected)


def test_half_val_holds_fp16_bit_patterns() -> None:
    x = np.array([0.5, -2.0, 65504.0], np.float16)
    tensor = to_input_tensor(proto(DataType.DT_HALF, [3], half_val=x.view(np.uint16).tolist()), "x")
    assert tensor.values is not None and tensor.values.dtype == np.float16
    np.testing.assert_array_equal(tensor.values, x)


def test_string_val_becomes_object_array() -> None:
    tensor = to_input_tensor(proto(DataType.DT_STRING, [2], string_val=[b"ab", b"\x00"]), "s")
    assert tensor.values is not None and tensor.values.dtype == object
    assert tensor.values.tolist() == [b"ab", b"\x00"]


@pytest.mark.parametrize(("dtype", "empty"), [(DataType.DT_FLOAT, "buffer"), (DataType.DT_INT8, "buffer"),
                                              (DataType.DT_HALF, "values"), (DataType.DT_UINT16, "values"),
                                              (DataType.DT_STRING, "values")])
def test_no_data_is_reported_by_the_core_in_ovms_terms(dtype: int, empty: str) -> None:
    # OVMS counts tensor_content bytes for most types but values for FP16/U16 (and strings).
    tensor = to_input_tensor(proto(dtype, [2]), "x")
    data = tensor.buffer if empty == "buffer" else tensor.values
    assert data is not None and len(data) == 0
    assert (tensor.values if empty == "buffer" else tensor.buffer) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64, np.int8, np.uint16, np.int64, np.bool_])
def test_from_array_uses_tensor_content(dtype: type) -> None:
    array = np.arange(6).reshape(3, 2).astype(dtype)
    message = from_array(array)
    assert message.dtype == from_precision(Precision.from_dtype(array.dtype))
    assert [d.size for d in message.tensor_shape.dim] == [3, 2]
    assert message.tensor_content == array.tobytes() and not message.float_val


def test_from_array_non_contiguous_and_scalar() -> None:
    array = np.arange(6, dtype=np.int32).reshape(2, 3).T
    assert np.frombuffer(from_array(array).tensor_content, np.int32).tolist() == [0, 3, 1, 4, 2, 5]
    scalar = from_array(np.array(3.5, np.float32))
    assert list(scalar.tensor_shape.dim) == [] and scalar.tensor_content == np.float32(3.5).tobytes()


@pytest.mark.parametrize(
    "array",
    [np.array([b"a", b"bc"], dtype=object), np.array(["a", "bc"], dtype=object), np.array([b"a", b"bc"]),
     np.array(["a", "bc"])],
)
def test_from_array_strings_use_string_val(array: np.ndarray) -> None:
    message = from_array(array)
    assert message.dtype == DataType.DT_STRING and not message.tensor_content
    assert list(message.string_val) == [b"a", b"bc"]
