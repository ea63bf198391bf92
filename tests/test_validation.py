"""Input validation in OVMS's order, with OVMS's message texts."""

import numpy as np
import pytest

from ovms.errors import OvmsError, Status
from ovms.types import InputTensor, ModelMetadata, Precision, TensorSpec
from ovms.validation import validate_inputs, validate_outputs

META = ModelMetadata(
    "m", 1,
    (TensorSpec("data", Precision.FP32, (1, 3, (2, 5))), TensorSpec("ids", Precision.I32, (-1,))),
    (TensorSpec("out", Precision.FP32, (1,)), TensorSpec("aux", Precision.FP32, (1,))),
)


def tensor(precision=Precision.FP32, shape=(1, 3, 4), buffer=None, values=None):
    if buffer is None and values is None:
        buffer = np.zeros(shape, precision.dtype).tobytes()
    return InputTensor(precision, shape, buffer, values)


def good():
    return {"data": tensor(), "ids": tensor(Precision.I32, (2,), values=np.array([1, 2], np.int32))}


def error_of(inputs) -> OvmsError:
    with pytest.raises(OvmsError) as info:
        validate_inputs(META, inputs)
    return info.value


def test_valid_inputs_are_zero_copy_views():
    inputs = good()
    arrays = validate_inputs(META, inputs)
    assert arrays[0].shape == (1, 3, 4) and arrays[0].dtype == np.float32
    assert np.shares_memory(arrays[0], np.frombuffer(inputs["data"].buffer, np.uint8))
    assert arrays[1].tolist() == [1, 2]


@pytest.mark.parametrize(
    "change, status, text",
    [
        (lambda i: i.pop("ids"), Status.INVALID_NO_OF_INPUTS, "Invalid number of inputs - Expected: 2; Actual: 1"),
        (lambda i: i.update(x=i.pop("ids")), Status.INVALID_MISSING_INPUT, "Missing input with specific name - Required input: ids"),
        (lambda i: i.update(data=tensor(Precision.FP64)), Status.INVALID_PRECISION,
         "Invalid input precision - Expected: FP32; Actual: FP64; input name: data"),
        (lambda i: i.update(data=tensor(shape=(3, 4))), Status.INVALID_NO_OF_SHAPE_DIMENSIONS,
         "Invalid number of shape dimensions - Expected: (1,3,[2~5]); Actual: (3,4); input name: data"),
        (lambda i: i.update(data=tensor(shape=(2, 3, 4))), Status.INVALID_BATCH_SIZE,
         "Invalid input batch size - Expected: 1; Actual: 2; input name: data"),
        (lambda i: i.update(data=tensor(shape=(1, 3, 6))), Status.INVALID_SHAPE,
         "Invalid input shape - Expected: (1,3,[2~5]); Actual: (1,3,6); input name: data"),
        (lambda i: i.update(data=tensor(buffer=b"1234")), Status.INVALID_CONTENT_SIZE,
         "Invalid content size of tensor proto - Expected: 48 bytes; Actual: 4 bytes; input name: data"),
        (lambda i: i.update(ids=tensor(Precision.I32, (3,), values=np.array([1], np.int32))), Status.INVALID_VALUE_COUNT,
         "Invalid number of values in tensor proto container - Expected: 3; Actual: 1; input name: ids"),
    ],
)
def test_errors(change, status, text):
    inputs = good()
    change(inputs)
    err = error_of(inputs)
    assert err.status is status and str(err) == text


def test_batch_checked_before_shape_and_precision_before_dims():
    inputs = good()
    inputs["data"] = tensor(Precision.FP16, (2, 3, 9))
    assert error_of(inputs).status is Status.INVALID_PRECISION
    inputs["data"] = tensor(shape=(2, 3, 9))
    assert error_of(inputs).status is Status.INVALID_BATCH_SIZE


def test_json_values_are_cast_to_model_precision():
    inputs = good()
    inputs["data"] = InputTensor(None, None, values=np.ones((1, 3, 2), dtype=np.int64))
    arrays = validate_inputs(META, inputs)
    assert arrays[0].dtype == np.float32 and arrays[0].shape == (1, 3, 2)


def test_output_filter():
    assert validate_outputs(META, None) == [0, 1]
    assert validate_outputs(META, ("aux",)) == [1]
    with pytest.raises(OvmsError, match="Missing output"):
        validate_outputs(META, ("nope",))
