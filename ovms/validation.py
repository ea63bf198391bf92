"""Request validation against a model version, in OVMS's order, producing OpenVINO-ready arrays.

Order (reference 5.5): number of inputs; per model input: present, no negative dimensions,
precision, number of dimensions, batch size, shape, content size. The first failure is reported.
STRING tensors sent to numeric inputs (strings for U8 inputs, encoded images for 4-D inputs) are
converted by :mod:`ovms.binary_inputs` instead, with its own checks.
"""

from __future__ import annotations

import math

import numpy as np

from ovms.binary_inputs import decodes_images, from_strings, hint_for
from ovms.errors import OvmsError, Status
from ovms.types import (
    Api,
    InputTensor,
    ModelMetadata,
    Precision,
    TensorSpec,
    dim_accepts,
    format_dim,
    format_shape,
)


def validate_inputs(
    meta: ModelMetadata, inputs: dict[str, InputTensor], api: Api = "TensorFlowServing"
) -> dict[int, np.ndarray]:
    """Validated inputs keyed by the model's input port index; raises OvmsError.

    ``api`` picks OVMS's wording where TF Serving and KServe texts differ (binary inputs).
    """
    if len(inputs) != len(meta.inputs):
        raise OvmsError(Status.INVALID_NO_OF_INPUTS, f"Expected: {len(meta.inputs)}; Actual: {len(inputs)}")
    arrays: dict[int, np.ndarray] = {}
    for index, spec in enumerate(meta.inputs):
        tensor = inputs.get(spec.name)
        if tensor is None:
            raise OvmsError(Status.INVALID_MISSING_INPUT, f"Required input: {spec.name}")
        arrays[index] = to_array(spec, tensor, api)
    return arrays


def decodes_any_image(meta: ModelMetadata, inputs: dict[str, InputTensor]) -> bool:
    """Whether validating ``inputs`` decodes images: then it belongs on a worker thread."""
    return any(spec.name in inputs and decodes_images(spec, inputs[spec.name]) for spec in meta.inputs)


def validate_outputs(meta: ModelMetadata, names: tuple[str, ...] | None) -> list[int]:
    """Indices of the requested outputs (all when ``names`` is None), in the model's order."""
    if names is None:
        return list(range(len(meta.outputs)))
    known = {spec.name: i for i, spec in enumerate(meta.outputs)}
    for name in names:
        if name not in known:
            raise OvmsError(Status.INVALID_MISSING_OUTPUT, f"Required output: {name}")
    return sorted(known[n] for n in set(names))


def to_array(spec: TensorSpec, tensor: InputTensor, api: Api = "TensorFlowServing") -> np.ndarray:
    """Check one input against ``spec`` and view/convert its data as a shaped numpy array."""
    values = tensor.values
    hint = hint_for(spec) if tensor.precision is Precision.STRING else None
    if hint is not None:
        shape = tensor.shape if tensor.shape is not None else _shape_of(values)
        _check_dims(spec, shape)
        return from_strings(spec, hint, tensor, shape, api)
    if tensor.precision is None:
        values = _cast_to_model(spec, values)
        precision = spec.precision
    else:
        precision = tensor.precision
    shape = tensor.shape if tensor.shape is not None else _shape_of(values)
    _check_dims(spec, shape)
    if precision is not spec.precision:
        raise OvmsError(
            Status.INVALID_PRECISION,
            f"Expected: {spec.precision.value}; Actual: {precision.value}; input name: {spec.name}",
        )
    _check_shape(spec, shape)
    if tensor.buffer is not None:
        return _from_buffer(spec, shape, tensor.buffer)
    return _from_values(spec, shape, values)


def _cast_to_model(spec: TensorSpec, values: object) -> np.ndarray:
    """JSON values carry no precision: cast them to the model's, as OVMS's REST parser does."""
    if spec.precision is Precision.STRING:
        return np.asarray(values, dtype=object)
    array = np.asarray(values)
    if array.dtype.kind in ("O", "S", "U"):
        raise OvmsError(
            Status.INVALID_PRECISION,
            f"Expected: {spec.precision.value}; Actual: STRING; input name: {spec.name}",
        )
    return array.astype(spec.precision.dtype, copy=False)


def _shape_of(values: object) -> tuple[int, ...]:
    return tuple(np.shape(values))


def _check_dims(spec: TensorSpec, shape: tuple[int, ...]) -> None:
    if any(d < 0 for d in shape):
        raise OvmsError(
            Status.INVALID_NEGATIVE_DIMENSION, f"Actual: {format_shape(shape)}; input name: {spec.name}"
        )


def _check_shape(spec: TensorSpec, shape: tuple[int, ...]) -> None:
    if len(shape) != len(spec.shape):
        raise OvmsError(
            Status.INVALID_NO_OF_SHAPE_DIMENSIONS,
            f"Expected: {format_shape(spec.shape)}; Actual: {format_shape(shape)}; input name: {spec.name}",
        )
    batch = spec.batch_index
    if batch is not None and not dim_accepts(spec.shape[batch], shape[batch]):
        raise OvmsError(
            Status.INVALID_BATCH_SIZE,
            f"Expected: {format_dim(spec.shape[batch])}; Actual: {shape[batch]}; input name: {spec.name}",
        )
    if not all(dim_accepts(d, s) for d, s in zip(spec.shape, shape)):
        raise OvmsError(
            Status.INVALID_SHAPE,
            f"Expected: {format_shape(spec.shape)}; Actual: {format_shape(shape)}; input name: {spec.name}",
        )


def _from_buffer(spec: TensorSpec, shape: tuple[int, ...], buffer: bytes | memoryview) -> np.ndarray:
    if spec.precision is Precision.STRING:
        raise OvmsError(Status.UNSUPPORTED_PRECISION, f"raw buffer for string input: {spec.name}")
    expected = math.prod(shape) * spec.precision.itemsize
    if len(buffer) != expected:
        raise OvmsError(
            Status.INVALID_CONTENT_SIZE,
            f"Expected: {expected} bytes; Actual: {len(buffer)} bytes; input name: {spec.name}",
        )
    return np.frombuffer(buffer, dtype=spec.precision.dtype).reshape(shape)


def _from_values(spec: TensorSpec, shape: tuple[int, ...], values: object) -> np.ndarray:
    array = np.asarray(values, dtype=spec.precision.dtype if spec.precision is not Precision.STRING else object)
    expected = math.prod(shape)
    if array.size != expected:
        raise OvmsError(
            Status.INVALID_VALUE_COUNT,
            f"Expected: {expected}; Actual: {array.size}; input name: {spec.name}",
        )
    return array.reshape(shape)
