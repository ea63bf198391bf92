"""STRING request tensors sent to numeric model inputs: OVMS's pre-processing hints.

A TF Serving ``DT_STRING`` tensor (``string_val``, REST strings or ``{"b64": ...}``) or a KServe
``BYTES`` tensor sent to an input that is not STRING is converted by the input's shape, as OVMS does
(reference 5.3 "Binary inputs"; OVMS's ``TensorInfo::createProcessingHints``):

- a 2-D U8 input takes one string per row, zero-padded to the longest string plus one byte;
- a 1-D U8 input of dynamic size takes the strings packed as OpenVINO tokenizers expect them
  (uint32 count, uint32 start offset 0, one uint32 end offset per string, then the bytes);
- a 4-D input takes one encoded image per batch element (:mod:`ovms.images`).

The request tensor must be 1-D ([N], one element per batch entry). Any other input has no hint,
and the caller reports the precision mismatch.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from ovms.errors import OvmsError, Status
from ovms.images import decode_images
from ovms.strings import string_elements
from ovms.types import Api, InputTensor, Precision, TensorSpec, dim_accepts, format_dim, format_shape

# OVMS's limit on a 2-D U8 array built from strings.
MAX_ROWS_BYTES = 1 << 30


class Hint(Enum):
    """How a numeric input takes strings."""

    ROWS_U8 = "2-D U8"
    PACKED_U8 = "1-D U8"
    IMAGE = "image"


def hint_for(spec: TensorSpec) -> Hint | None:
    """The conversion a STRING request tensor gets for ``spec``; None for STRING or other inputs."""
    if spec.precision is Precision.STRING:
        return None
    rank = len(spec.shape)
    if spec.precision is Precision.U8 and rank == 2:
        return Hint.ROWS_U8
    if spec.precision is Precision.U8 and rank == 1 and _dynamic(spec.shape[0]):
        return Hint.PACKED_U8
    return Hint.IMAGE if rank == 4 else None


def decodes_images(spec: TensorSpec, tensor: InputTensor) -> bool:
    """Whether converting ``tensor`` for ``spec`` decodes images (CPU work for a worker thread)."""
    return tensor.precision is Precision.STRING and hint_for(spec) is Hint.IMAGE


def from_strings(
    spec: TensorSpec, hint: Hint, tensor: InputTensor, shape: tuple[int, ...], api: Api
) -> np.ndarray:
    """The model-ready array for a STRING ``tensor`` of request ``shape``; ``hint`` is ``hint_for(spec)``.

    Raises OvmsError with OVMS's statuses and texts (shape dimensions, batch size, empty elements,
    the 1 GB row limit, and the image errors of :func:`ovms.images.decode_images`).
    """
    _check_rank(spec, shape, api)
    items = string_elements(np.asarray(tensor.values, dtype=object))
    if hint is Hint.PACKED_U8:
        return _packed(items)
    if hint is Hint.ROWS_U8:
        width = max((len(item) for item in items), default=0) + 1
        _check_rows_size(len(items), width)
        _check_batch(spec, shape, len(items))
        return _rows(spec, items, width)
    _check_batch(spec, shape, len(items))
    if any(not item for item in items):
        raise OvmsError(Status.STRING_VAL_EMPTY if api == "TensorFlowServing" else Status.BYTES_CONTENTS_EMPTY)
    return decode_images(spec, items)


def _dynamic(dim: object) -> bool:
    return dim == -1 or isinstance(dim, tuple)


def _check_rank(spec: TensorSpec, shape: tuple[int, ...], api: Api) -> None:
    if len(shape) != 1:
        what = "binary input shape dimensions" if api == "TensorFlowServing" else "input shape dimensions"
        raise OvmsError(
            Status.INVALID_NO_OF_SHAPE_DIMENSIONS,
            f"Expected number of {what}: 1; Actual: {len(shape)}; input name: {spec.name}",
        )


def _check_batch(spec: TensorSpec, shape: tuple[int, ...], count: int) -> None:
    """OVMS's ``checkBinaryBatchSizeMismatch``: one element per batch entry, a batch the input takes."""
    if spec.batch_index is None:
        raise OvmsError(Status.INVALID_BATCH_SIZE, f"Batch not present in input name: {spec.name}")
    if count <= 0:
        raise OvmsError(Status.INVALID_BATCH_SIZE, f"Batch size must be positive; input name: {spec.name}")
    if shape[0] != count:
        raise OvmsError(
            Status.INVALID_BATCH_SIZE,
            f"Expected: {shape[0]} elements as the shape declares; Actual: {count}; input name: {spec.name}",
        )
    batch = spec.shape[spec.batch_index]
    if not dim_accepts(batch, count):
        raise OvmsError(
            Status.INVALID_BATCH_SIZE, f"Expected: {format_dim(batch)}; Actual: {count}; input name: {spec.name}"
        )


def _check_rows_size(count: int, width: int) -> None:
    if count * width > MAX_ROWS_BYTES:
        raise OvmsError(Status.INVALID_STRING_MAX_SIZE_EXCEEDED, f"actual {count * width >> 20}MB (max 1GB)")


def _rows(spec: TensorSpec, items: list[bytes], width: int) -> np.ndarray:
    if not dim_accepts(spec.shape[1], width):
        raise OvmsError(
            Status.INVALID_SHAPE,
            f"Expected: {format_shape(spec.shape)}; Actual: {format_shape((len(items), width))}; "
            f"input name: {spec.name}",
        )
    rows = np.zeros((len(items), width), dtype=np.uint8)
    for row, item in zip(rows, items):  # one copy per string, not per byte
        row[: len(item)] = np.frombuffer(item, dtype=np.uint8)
    return rows


def _packed(items: list[bytes]) -> np.ndarray:
    ends = np.cumsum([len(item) for item in items], dtype=np.uint64)
    header = np.concatenate(([len(items), 0], ends)).astype("<u4")
    return np.frombuffer(header.tobytes() + b"".join(items), dtype=np.uint8)
