"""JSON value <-> numpy conversions."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from ovms.api_rest.tensors import (
    NotAnArray,
    blobs_array,
    bytes_to_b64,
    bytes_to_text,
    json_to_array,
    little_endian,
)
from ovms.types import Precision


def b64(data: bytes) -> dict[str, str]:
    return {"b64": base64.b64encode(data).decode()}


def test_numbers_keep_numpy_inferred_dtype_and_nesting() -> None:
    precision, array = json_to_array([[1, 2, 3], [4, 5, 6]])
    assert precision is None and array.dtype == np.int64 and array.shape == (2, 3)
    precision, array = json_to_array([[1.5, 2], [3, 4]])
    assert precision is None and array.dtype == np.float64
    assert json_to_array(7)[1].shape == ()


def test_b64_objects_and_strings_become_string_bytes() -> None:
    precision, array = json_to_array([b64(b"\x00\xffjpeg"), b64(b"")])
    assert precision is Precision.STRING and array.dtype == object
    assert list(array) == [b"\x00\xffjpeg", b""]
    precision, array = json_to_array([["ab", "c"], ["d", b64(b"e")]])
    assert precision is Precision.STRING and array.shape == (2, 2) and array[1, 1] == b"e"
    assert json_to_array(b64(b"one"))[1].shape == ()


@pytest.mark.parametrize(
    "value",
    [
        [[1, 2], [3]],  # ragged
        [1, "a"],  # mixed number and string
        [1, None],
        [],
        [[]],
        [{"b64": 1}],
        [{"b64": "abc", "extra": 1}],
        [b64(b"x"), 1],
        [{"b64": "!!notbase64"}],
        None,
    ],
)
def test_invalid_ndarrays_are_rejected(value: object) -> None:
    with pytest.raises(NotAnArray):
        json_to_array(value)


def test_blobs_array_requires_strings_or_b64() -> None:
    assert list(blobs_array(["x", b64(b"y")])) == [b"x", b"y"]
    with pytest.raises(NotAnArray):
        blobs_array([1.5])


def test_string_outputs_as_text_and_b64() -> None:
    items = np.array([[b"hi", b"\xff"]], dtype=object)
    assert bytes_to_text(items).tolist() == [["hi", "\ufffd"]]
    assert bytes_to_b64(items).tolist() == [[b64(b"hi"), b64(b"\xff")]]


def test_little_endian_bytes() -> None:
    array = np.array([1, 2], dtype=">i4")
    assert little_endian(array) == b"\x01\x00\x00\x00\x02\x00\x00\x00"
    assert little_endian(np.array([[True, False]])) == b"\x01\x00"
    assert little_endian(np.arange(6, dtype=np.int8).reshape(2, 3).T) == bytes([0, 3, 1, 4, 2, 5])
