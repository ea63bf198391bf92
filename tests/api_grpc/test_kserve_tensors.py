"""KServe tensor converters: datatypes, typed contents, raw buffers, BYTES framing (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from ovms.api_grpc.generated.kserve.grpc_service_pb2 import (
    InferTensorContents,
    ModelInferRequest,
)
from ovms.api_grpc.kserve_tensors import (
    from_array,
    from_precision,
    split_bytes,
    to_input_tensor,
    to_precision,
    to_values,
)
from ovms.errors import OvmsError, Status
from ovms.strings import join_length_prefixed
from ovms.types import Precision

InferInputTensor = ModelInferRequest.InferInputTensor


@pytest.mark.parametrize("precision", list(Precision))
def test_datatype_roundtrip(precision: Precision) -> None:
    assert to_precision(from_precision(precision)) is precision
    assert from_precision(Precision.STRING) == "BYTES" and from_precision(Precision.I8) == "INT8"


def test_unknown_datatype() -> None:
    with pytest.raises(OvmsError) as info:
        to_input_tensor(InferInputTensor(name="x", datatype="fp32", shape=[1]), None)
    assert info.value.status is Status.INVALID_PRECISION
    assert str(info.value) == "Invalid input precision - Unsupported datatype: fp32; input name: x"


def test_raw_buffer_is_passed_untouched() -> None:
    raw = np.arange(4, dtype=np.float16).tobytes()
    tensor = to_input_tensor(InferInputTensor(name="x", datatype="FP16", shape=[2, 2]), raw)
    assert (tensor.precision, tensor.shape, tensor.buffer, tensor.values) == (Precision.FP16, (2, 2), raw, None)


@pytest.mark.parametrize(
    ("precision", "field", "values", "expected"),
    [
        (Precision.BOOL, "bool_contents", [True, False], np.array([True, False])),
        (Precision.I8, "int_contents", [-128, 200], np.array([-128, -56], np.int8)),
        (Precision.I16, "int_contents", [-2], np.array([-2], np.int16)),
        (Precision.I32, "int_contents", [7], np.array([7], np.int32)),
        (Precision.I64, "int64_contents", [-(2**40)], np.array([-(2**40)], np.int64)),
        (Precision.U8, "uint_contents", [255], np.array([255], np.uint8)),
        (Precision.U16, "uint_contents", [65535], np.array([65535], np.uint16)),
        (Precision.U32, "uint_contents", [2**32 - 1], np.array([2**32 - 1], np.uint32)),
        (Precision.U64, "uint64_contents", [2**64 - 1], np.array([2**64 - 1], np.uint64)),
        (Precision.FP32, "fp32_contents", [0.25], np.array([0.25], np.float32)),
        (Precision.FP64, "fp64_contents", [1e-300], np.array([1e-300], np.float64)),
    ],
)
def test_typed_contents(precision: Precision, field: str, values: list, expected: np.ndarray) -> None:
    contents = InferTensorContents(**{field: values})
    result = to_values(contents, precision)
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


def test_fp16_has_no_typed_field_and_other_fields_are_ignored() -> None:
    result = to_values(InferTensorContents(fp32_contents=[1.0]), Precision.FP16)
    assert result.dtype == np.float16 and result.size == 0  # the core reports the value count
    assert to_values(InferTensorContents(fp32_contents=[1.0]), Precision.I32).size == 0


def test_bytes_contents_and_raw_bytes() -> None:
    typed = to_input_tensor(
        InferInputTensor(
            name="s", datatype="BYTES", shape=[2], contents=InferTensorContents(bytes_contents=[b"a", b"bc"])
        ),
        None,
    )
    raw = to_input_tensor(InferInputTensor(name="s", datatype="BYTES", shape=[2]), join_length_prefixed(np.array([b"a", b"bc"])))
    for tensor in (typed, raw):
        assert tensor.buffer is None and tensor.values is not None
        assert tensor.values.dtype == object and tensor.values.tolist() == [b"a", b"bc"]


@pytest.mark.parametrize("elements", [[], [b""], [b"x"], [b"", b"abc", bytes(range(256)) * 300]])
def test_bytes_framing_roundtrip(elements: list[bytes]) -> None:
    array = np.empty(len(elements), dtype=object)
    array[:] = elements
    raw = join_length_prefixed(array)
    assert len(raw) == sum(4 + len(e) for e in elements)
    assert split_bytes(raw, "s").tolist() == elements


@pytest.mark.parametrize("raw", [b"\x01", b"\x01\x00\x00", b"\x03\x00\x00\x00ab", b"\x00\x00\x00\x00\x01"])
def test_bad_bytes_framing(raw: bytes) -> None:
    with pytest.raises(OvmsError) as info:
        split_bytes(raw, "s")
    assert info.value.status is Status.INVALID_INPUT_FORMAT
    assert str(info.value).endswith("; input name: s")


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8, np.uint64, np.bool_])
def test_from_array_numeric(dtype: type) -> None:
    array = np.arange(6).reshape(2, 3).astype(dtype)
    datatype, shape, raw = from_array(array)
    assert (datatype, shape, raw) == (from_precision(Precision.from_dtype(array.dtype)), [2, 3], array.tobytes())


def test_from_array_strings() -> None:
    assert from_array(np.array([b"hi"], dtype=object)) == ("BYTES", [1], b"\x02\x00\x00\x00hi")
