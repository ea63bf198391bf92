"""STRING request tensors into numeric inputs: hints, request checks, U8 rows and packed strings."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ovms.binary_inputs import Hint, from_strings, hint_for
from ovms.errors import OvmsError, Status
from ovms.types import InputTensor, ModelMetadata, Precision, TensorSpec
from ovms.validation import decodes_any_image, validate_inputs


def spec(shape, precision=Precision.U8, batch_index=0) -> TensorSpec:
    return TensorSpec("s", precision, tuple(shape), batch_index)


def strings(items: list[bytes], shape=None) -> InputTensor:
    values = np.empty(len(items), dtype=object)
    values[:] = items
    return InputTensor(Precision.STRING, tuple(shape) if shape is not None else (len(items),), values=values)


def convert(input_spec: TensorSpec, tensor: InputTensor, api="TensorFlowServing"):
    return from_strings(input_spec, hint_for(input_spec), tensor, tensor.shape, api)


def failure(input_spec: TensorSpec, tensor: InputTensor, api="TensorFlowServing") -> OvmsError:
    with pytest.raises(OvmsError) as caught:
        convert(input_spec, tensor, api)
    return caught.value


@pytest.mark.parametrize(("shape", "precision", "hint"), [
    ((-1, -1), Precision.U8, Hint.ROWS_U8),
    ((2, 5), Precision.U8, Hint.ROWS_U8),
    ((-1,), Precision.U8, Hint.PACKED_U8),
    (((1, 100),), Precision.U8, Hint.PACKED_U8),
    ((7,), Precision.U8, None),
    ((1, 3, 224, 224), Precision.FP32, Hint.IMAGE),
    ((1, 224, 224, 3), Precision.U8, Hint.IMAGE),
    ((1, 10), Precision.FP32, None),
    ((-1,), Precision.STRING, None),
])
def test_hints_follow_ovms(shape, precision, hint):
    assert hint_for(spec(shape, precision)) is hint


def test_rows_are_zero_padded_to_the_longest_plus_one():
    rows = convert(spec((-1, -1)), strings([b"ab", b"", b"xyz"]))
    np.testing.assert_array_equal(rows, [[97, 98, 0, 0], [0, 0, 0, 0], [120, 121, 122, 0]])
    assert rows.dtype == np.uint8


def test_packed_strings_match_the_tokenizers_layout():
    packed = convert(spec((-1,)), strings([b"ab", b"", b"xyz"]))
    header = np.frombuffer(packed[:20].tobytes(), dtype="<u4")
    np.testing.assert_array_equal(header, [3, 0, 2, 2, 5])
    assert packed[20:].tobytes() == b"abxyz"


def test_request_must_be_one_dimensional_with_one_element_per_batch_entry():
    two_d = strings([b"a", b"b"], shape=(1, 2))
    assert str(failure(spec((-1, -1)), two_d)) == (
        "Invalid number of shape dimensions - Expected number of binary input shape dimensions: 1; "
        "Actual: 2; input name: s")
    assert "Expected number of input shape dimensions: 1" in str(failure(spec((-1, -1)), two_d, "KServe"))
    assert str(failure(spec((3, -1)), strings([b"a", b"b"]))) == (
        "Invalid input batch size - Expected: 3; Actual: 2; input name: s")
    assert failure(spec((-1, -1)), strings([b"a", b"b"], shape=(3,))).status is Status.INVALID_BATCH_SIZE
    assert str(failure(spec((-1, -1), batch_index=None), strings([b"a"]))) == (
        "Invalid input batch size - Batch not present in input name: s")


def test_row_width_must_fit_the_input():
    assert str(failure(spec((-1, 3)), strings([b"abcd"]))) == (
        "Invalid input shape - Expected: (-1,3); Actual: (1,5); input name: s")


def test_empty_images_are_refused_with_the_apis_words():
    image_spec = spec((1, 2, 2, 3), Precision.FP32)
    assert str(failure(image_spec, strings([b""]))) == "String val is empty"
    assert str(failure(image_spec, strings([b""]), "KServe")) == "Bytes contents is empty"


def test_validation_routes_strings_and_tells_when_images_are_decoded():
    image = cv2.imencode(".png", np.full((2, 2, 3), 7, dtype=np.uint8))[1].tobytes()
    meta = ModelMetadata("m", 1, (spec((1, 2, 2, 3), Precision.FP32), ), ())
    inputs = {"s": strings([image])}
    assert decodes_any_image(meta, inputs)
    np.testing.assert_array_equal(validate_inputs(meta, inputs)[0], np.full((1, 2, 2, 3), 7, np.float32))
    numeric = {"s": InputTensor(Precision.FP32, (1, 2, 2, 3), values=np.zeros(12, np.float32))}
    assert not decodes_any_image(meta, numeric)
    flat = ModelMetadata("m", 1, (spec((1, 10), Precision.FP32),), ())
    with pytest.raises(OvmsError) as caught:
        validate_inputs(flat, {"s": strings([b"x"])})
    assert str(caught.value) == "Invalid input precision - Expected: FP32; Actual: STRING; input name: s"
